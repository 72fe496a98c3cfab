"""The English check: foreign paragraphs are refused with the right language code; short or
name-heavy English is not."""
from __future__ import annotations

import pytest

from detector.api import prepare
from detector.document import Document
from detector.language import non_english_language
from detector.verdict import Verdict

FOREIGN = {
    "de": "Die Regierung in Berlin hat am Dienstag einen neuen Plan für den Ausbau der Windkraft "
          "vorgestellt. Nach Angaben des Ministeriums sollen bis zum Jahr 2030 doppelt so viele "
          "Anlagen gebaut werden wie bisher. Kritiker sagen, dass die Genehmigungen zu lange "
          "dauern und die Kommunen nicht genug Geld haben.",
    "fr": "Le gouvernement a présenté mardi un nouveau plan pour les transports publics dans les "
          "grandes villes. Selon le ministre, les tarifs des bus et des trains seront gelés "
          "pendant deux ans. Les syndicats estiment que ce n'est pas suffisant et appellent à "
          "une grève pour la semaine prochaine.",
    "cs": "Vláda ve středu schválila nový zákon o podpoře obnovitelných zdrojů energie. Podle "
          "ministra průmyslu se do roku 2030 zdvojnásobí počet solárních elektráren. Opozice "
          "tvrdí, že zákon je příliš drahý a že na něj doplatí domácnosti, které už teď platí "
          "vysoké účty za elektřinu.",
}

ENGLISH = [
    "Flights resumed on Monday.",
    "Storm closes schools in three counties",
    "Aleksandr Grushko met Jüri Luik and Wojciech Skurkiewicz in Tallinn on Thursday, the "
    "Estonian foreign ministry said.",
    "The new café on Rue de Rivoli, called Le Petit Zinc, serves croque monsieur and crêpes, and "
    "its owner said business was good.",
    "The chef, who trained in Lyon, said the menu du jour would change every day, that the "
    "dessert was made à la minute and that the restaurant's motto was joie de vivre.",
]


CODES = sorted(FOREIGN)


@pytest.mark.parametrize("code", CODES)
def test_foreign_paragraph_is_not_english_with_its_code(code):
    assert non_english_language(Document.from_text(FOREIGN[code])) == code


@pytest.mark.parametrize("code", CODES)
def test_foreign_paragraph_is_refused_with_a_message(code):
    result = prepare(FOREIGN[code])
    assert isinstance(result, Verdict)
    assert result.error == f"not English (detected: {code})"
    assert "not_english" in result.flags


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_not_refused(text):
    assert non_english_language(Document.from_text(text)) is None
    assert isinstance(prepare(text), Document)
