"""Fixed service-hall questions for the round-trip test (TTS -> ASR).

Written the way citizens ask at the kiosk, with the domain words the
recogniser must get right (hukou, provident fund, social security card...).
The benchmark uses a separate, larger list (benchmarks/bench_voice.py).
"""

ROUND_TRIP_QUESTIONS = [
    "Where do I apply for the housing provident fund withdrawal?",
    "How do I transfer my hukou to Harbor City?",
    "I lost my social security card, what should I do?",
    "What documents do I need to register a newborn?",
    "Is the service hall open on Saturday morning?",
    "Where is window B12?",
    "How long does it take to get a new passport?",
    "Can I renew my driving licence here?",
    "I want to apply for a residence permit.",
    "Do I need an appointment for the marriage registration?",
    "How much does a replacement ID card cost?",
    "Where can I get a no criminal record certificate?",
    "My father passed away, what do I need to do?",
    "How do I claim unemployment benefit?",
    "Can I withdraw my housing fund to pay rent?",
    "Which floor is the tax reconciliation window on?",
    "I need to enrol my child in primary school.",
    "How do I get a senior citizen card for my mother?",
    "Can I do the pension qualification check online?",
    "Where do I register a new business?",
    "What time do you close today?",
    "How do I transfer my pension insurance to another city?",
    "Can I use the medical insurance QR code in another province?",
    "Do I need to bring my hukou booklet?",
]
