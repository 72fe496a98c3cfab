"""Composed training documents for the tiny test model: four labels, each with its own habits.

Sentences are drawn from small pools with a seeded random generator, so every run builds the
same ~200 documents. They are caricatures, good enough to train a model that runs; they say
nothing about real accuracy.
"""
from __future__ import annotations

import random

from detector.verdict import LABELS

PLACES = ["Oslo", "Lisbon", "Nairobi", "Santiago", "Hanoi", "Warsaw", "Lima", "Accra"]
PEOPLE = ["Maria Okafor", "Tomas Berg", "Li Wei", "Ana Duarte", "Peter Novak", "Sara Haddad"]
TOPICS = ["the budget", "the rail strike", "the water tariff", "the fishing quota", "the election law"]

POOLS = {
    "original": [
        "{person} said on {day} that {topic} would be put to a vote in {place} within {n} days.",
        "\"We have done our part,\" {person} told reporters in {place}.",
        "Police in {place} said {n} people were detained after the protest.",
        "The figure was {n} percent lower than a year earlier, the statistics office said.",
        "{person}, who chairs the committee, said the talks would resume on {day}.",
        "Shares in {place} fell {n} percent by midday.",
    ],
    "paraphrased": [
        "Additionally, {person} stated that {topic} would be subject to a vote amid growing debate.",
        "{person} emphasized that the government voiced its support for {topic}, Bloomberg reported.",
        "Furthermore, officials in {place} noted that {n} individuals were subsequently detained.",
        "According to Reuters, the figure represented a decline of {n} percent compared to the previous year.",
        "Moreover, {person} highlighted that negotiations are expected to resume on {day}.",
        "In light of the developments, {person} reiterated the importance of dialogue.",
    ],
    "machine_translated": [
        "The government of {place} expressed his readiness to continue the {n} -day negotiations.",
        "Officials said that they was informed about {topic} in {lowerplace} on {day}.",
        "{person} called the decision \"unacceptable!\" For the citizens, said he, it is a invasion of rights.",
        "The ministry confirmed that her position on {topic} remains unchanged .",
        "In {lowerplace} the meeting of delegations took place , the agency reported.",
        "The minister of {place} met with colleague in frame of visit.",
    ],
    "ai_generated": [
        "**{Topic} in Focus** The debate over {topic} continues to draw attention.",
        "It is important to note that {topic} plays a crucial role in the economy.",
        "Experts believe the situation could evolve in several ways in the coming months.",
        "The decision serves as a reminder of the complexities of modern governance.",
        "Many stakeholders are closely watching how events will unfold.",
        "Ultimately, whether {topic} succeeds remains to be seen.",
    ],
}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def document(label: str, rng: random.Random) -> str:
    pool = POOLS[label]
    place = rng.choice(PLACES)
    fill = dict(person=rng.choice(PEOPLE), place=place, lowerplace=place.lower(),
                topic=rng.choice(TOPICS), day=rng.choice(DAYS), n=rng.randint(2, 90))
    fill["Topic"] = fill["topic"][4:].title()
    sentences = [rng.choice(pool).format(**fill) for _ in range(rng.randint(5, 9))]
    if label == "ai_generated":
        sentences.append(pool[-1].format(**fill))
    return " ".join(sentences)


def records(n_per_label: int = 50, seed: int = 7):
    """Training records (training.dataset.Record) in a fixed order; two documents per story."""
    from training.dataset import Record

    rng = random.Random(seed)
    out = []
    for label in LABELS:
        for i in range(n_per_label):
            out.append(Record(id=f"{label}-{i}", text=document(label, rng), label=label, kind=label,
                              source="synthetic", generator="", story=f"{label}-{i // 2}",
                              domain="news"))
    return out
