"""Exports: workbooks and files built in code and returned as bytes."""
