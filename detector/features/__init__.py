"""The feature detectors. FEATURES is the model's column order: append, never reorder silently
(the model card records the list, and loading fails when it does not match)."""
from __future__ import annotations

from detector.document import Document
from detector.features import boilerplate, generation, human, paraphrase, style, translation
from detector.features.finding import MISSING, Detector, Finding, Span

FAMILIES: dict[str, tuple[Detector, ...]] = {
    "translation": (
        translation.pronoun_gender,
        translation.dropped_capital,
        translation.name_variants,
        translation.spacing_slip,
        translation.quote_capital,
        translation.foreign_word,
        translation.agreement_slip,
        translation.calque_pair,
    ),
    "boilerplate": (
        boilerplate.translation_plugin,
        boilerplate.automation_notice,
        boilerplate.ai_disclosure,
        boilerplate.syndication_notice,
        boilerplate.widget_text,
        boilerplate.html_remnant,
        boilerplate.duplicate_sentences,
    ),
    "generation": (
        generation.markdown_markup,
        generation.stock_phrase,
        generation.sentence_length_cv,
        generation.specifics_per_sentence,
        generation.direct_quote_share,
        generation.summary_ending,
        generation.llm_vocabulary,
    ),
    "paraphrase": (
        paraphrase.outlet_attribution,
        paraphrase.rewrite_register,
        paraphrase.said_share,
    ),
    "style": (
        style.mean_zipf,
        style.rare_word_share,
        style.function_word_share,
        style.article_share,
        style.first_person_share,
        style.mean_sentence_words,
        style.mean_word_length,
        style.moving_type_token_ratio,
        style.comma_rate,
        style.colon_semicolon_rate,
        style.dash_rate,
        style.parenthesis_rate,
        style.exclaim_question_rate,
        style.contraction_rate,
        style.digit_share,
        style.capitalised_share,
    ),
    "human": (
        human.misspelling,
        human.lowercase_i,
        human.repeated_punctuation,
        human.doubled_word,
    ),
}

FEATURES: tuple[Detector, ...] = tuple(f for family in FAMILIES.values() for f in family)
FEATURE_NAMES: tuple[str, ...] = tuple(f.__name__ for f in FEATURES)
FAMILY_OF: dict[str, str] = {f.__name__: name for name, fs in FAMILIES.items() for f in fs}

assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES), "feature names must be unique"


def extract(doc: Document) -> tuple[Finding, ...]:
    """Run every detector on one document, in FEATURES order."""
    return tuple(feature(doc) for feature in FEATURES)


__all__ = ["FEATURES", "FEATURE_NAMES", "FAMILIES", "FAMILY_OF", "Finding", "Span", "MISSING", "extract"]
