"""The duties each statutory pack answers, section by section, with the sheet that answers
each. Quotations of the Victims and Prisoners Act 2024 and the Domestic Abuse Act 2021 are Crown
copyright, reproduced under the Open Government Licence v3.0; the texts were checked against
legislation.gov.uk (ss. 13-14 of the 2024 Act as enacted, prospective; s.57 of the 2021 Act).
"""

VPA_DUTIES = [
    (
        "s.13(1)",
        'The relevant authorities for a police area in England "must collaborate with each '
        "other in the exercise in the area of their functions in relation to relevant victim "
        'support services".',
        "The whole pack: one assessment for all the authorities named on this cover.",
    ),
    (
        "s.13(5)",
        'Relevant victim support services are services, "other than accommodation-based '
        'support", for victims of domestic abuse, "conduct of a sexual nature" and serious '
        "violence.",
        "Needs assessed (the Act's words column; safe accommodation is left out: it is the "
        "Domestic Abuse Act 2021 Part 4 pack).",
    ),
    (
        "s.14(1)",
        'The authorities "must together (a) prepare a strategy ... (b) set out in the strategy '
        "how they consider they are fulfilling, or intend to fulfil, the duty under section 13, "
        'and (c) implement the strategy".',
        "Summary: the findings the strategy answers.",
    ),
    (
        "s.14(2)(a)",
        'In preparing the strategy they must "make reasonable efforts to obtain the views of '
        'victims in the police area".',
        "Consultation log (rows for victims' views).",
    ),
    (
        "s.14(2)(b)",
        'They must "consult persons appearing to the relevant authorities to represent persons '
        'providing relevant victim support services in the police area".',
        "Consultation log (a row for every provider on the registry).",
    ),
    (
        "s.14(3)(a)",
        'They must "assess the needs of victims in the police area for relevant victim support '
        'services".',
        "Needs assessed; Unmet need.",
    ),
    (
        "s.14(3)(b)",
        'They must "assess whether and how those needs are being met by the services which '
        'are available (whether or not provided by the relevant authorities)".',
        "Provision found (how each service is funded); Unmet need.",
    ),
    (
        "s.14(4)",
        'They must "have regard to the particular needs of victims who are under the age of '
        '18 or who have protected characteristics within the meaning of the Equality Act 2010".',
        "Under 18; Protected characteristics.",
    ),
    (
        "s.14(5)",
        'Once prepared they must "(a) publish the strategy, (b) keep the strategy under '
        'review, and (c) from time to time prepare a revised strategy".',
        "The review date on this cover and on the Summary.",
    ),
    (
        "s.15",
        "The Secretary of State issues guidance on collaboration, to which the authorities "
        "must have regard.",
        "No guidance had been published when this pack was written: check for it before "
        "publishing.",
    ),
]
DA_DUTIES = [
    (
        "s.57(1)(a)",
        'Each relevant local authority in England must "assess, or make arrangements for the '
        'assessment of, the need for accommodation-based support in its area".',
        "Bedspaces by area; Bedspaces by type; Support by group.",
    ),
    (
        "s.57(1)(b)",
        'It must "prepare and publish a strategy for the provision of such support in its area".',
        "Gaps: what the strategy must answer.",
    ),
    (
        "s.57(1)(c)",
        'It must "monitor and evaluate the effectiveness of the strategy".',
        "Run this pack each year on the same assumptions and compare the Summary.",
    ),
    (
        "s.57(2)",
        '"Accommodation-based support" is support "provided to victims of domestic abuse, or '
        'their children, who reside in relevant accommodation".',
        "Support by group (children are one of the groups).",
    ),
    (
        "s.57(4)",
        "Before publishing the strategy the authority must consult its domestic abuse local "
        "partnership board (s.58) and the local authorities within its area.",
        "Not recorded in the registry: keep the consultation with the strategy.",
    ),
]
MAP_OF_GAPS_SOURCE = (
    "Coy, Kelly and Foord, Map of Gaps: the postcode lottery of violence against women "
    "support services in Britain (End Violence Against Women and the Equality and Human "
    "Rights Commission, 2007), and Map of Gaps 2 (2009): the count of local authority areas "
    "with no specialised support of each kind."
)
