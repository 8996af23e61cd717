"""Short survey comments for the synthetic demo, by category and by how the case went.

Kept apart from :mod:`qoswb.data.synthetic` so the wording can grow without
touching the generator. ``good`` goes with CSAT 4-5, ``mixed`` with 3, ``bad`` with 1-2.

>>> from qoswb.data.phrases import CATEGORY_PHRASES, GENERIC_PHRASES
>>> sorted(GENERIC_PHRASES)
['bad', 'good', 'mixed']
"""

GENERIC_PHRASES = {
    "good": [
        "Quick and friendly, thank you.",
        "Sorted first time.",
        "The agent really listened.",
        "Clear answer, no fuss.",
        "Much faster than I expected.",
        "Very helpful, thanks.",
    ],
    "mixed": [
        "Got there in the end.",
        "Fine, but it took a while.",
        "Helpful once I reached someone.",
        "Okay, had to explain twice.",
    ],
    "bad": [
        "Waited far too long for a reply.",
        "Had to chase several times.",
        "Nobody seemed to own my case.",
        "Still not fixed.",
        "Was passed from team to team.",
        "The reply did not answer my question.",
    ],
}

CATEGORY_PHRASES = {
    "Billing": {
        "good": ["Refund arrived quickly.", "Bill explained clearly."],
        "mixed": ["Refund came but took a week."],
        "bad": ["Still charged twice.", "Nobody could explain my bill."],
    },
    "Technical fault": {
        "good": ["Engineer fixed it remotely.", "Back online within the hour."],
        "mixed": ["Works now, but it dropped again once."],
        "bad": ["Fault keeps coming back.", "Three resets and still broken."],
    },
    "Account access": {
        "good": ["Password reset was painless."],
        "mixed": ["Locked out for a day, fine now."],
        "bad": ["Locked out again after the reset."],
    },
    "Delivery": {
        "good": ["Redelivery booked on the spot."],
        "mixed": ["Parcel came, two days late."],
        "bad": ["Parcel still missing.", "Courier never turned up."],
    },
    "Returns and refunds": {
        "good": ["Return label sent straight away."],
        "mixed": ["Refund slow but it came."],
        "bad": ["Refund still not received."],
    },
    "Complaint": {
        "good": ["Complaint taken seriously, thank you."],
        "mixed": ["Apology given, no real change."],
        "bad": ["My complaint was ignored."],
    },
    "General enquiry": {
        "good": ["Got the information I needed."],
        "mixed": ["Answer was a bit vague."],
        "bad": ["Could not get a straight answer."],
    },
}
