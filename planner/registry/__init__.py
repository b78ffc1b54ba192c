"""The service registry: storage, validation, roles, audit, and its import/export formats."""
