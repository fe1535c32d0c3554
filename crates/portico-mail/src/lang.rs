//! The languages mails are written in, and the choice among a recipient's candidates.

use serde::{Deserialize, Serialize};

/// A language Portico ships mail templates for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// English (United States), the default.
    #[default]
    #[serde(rename = "en-US")]
    EnUs,
    /// German (Germany).
    #[serde(rename = "de-DE")]
    DeDe,
}

impl Lang {
    /// Every shipped language, the default first.
    pub const ALL: [Lang; 2] = [Lang::EnUs, Lang::DeDe];

    /// The BCP 47 tag, e.g. `en-US`.
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::EnUs => "en-US",
            Lang::DeDe => "de-DE",
        }
    }

    /// The primary language subtag, e.g. `en`.
    const fn primary(self) -> &'static str {
        match self {
            Lang::EnUs => "en",
            Lang::DeDe => "de",
        }
    }

    /// The shipped language a tag names: an exact match (case-insensitive), else one with the
    /// same primary subtag (`de`, `de-AT` → `de-DE`; `en-GB` → `en-US`). `_` is accepted as
    /// a separator.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim();
        if tag.is_empty() {
            return None;
        }
        let normalized = tag.replace('_', "-");
        if let Some(exact) = Lang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(&normalized))
        {
            return Some(exact);
        }
        let primary = normalized.split('-').next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|l| l.primary().eq_ignore_ascii_case(primary))
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

/// Picks the language of a mail from candidates in order of preference (for instance the
/// recipient's preferred language, then the inviting tenant's): the first candidate that names
/// a shipped language exactly or by its primary subtag wins; with none, `en-US`.
#[must_use]
pub fn pick_language(candidates: &[Option<&str>]) -> Lang {
    candidates
        .iter()
        .flatten()
        .find_map(|c| Lang::from_tag(c))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_tags_match_case_insensitively() {
        assert_eq!(pick_language(&[Some("de-DE")]), Lang::DeDe);
        assert_eq!(pick_language(&[Some("DE-de")]), Lang::DeDe);
        assert_eq!(pick_language(&[Some("en-us")]), Lang::EnUs);
        assert_eq!(pick_language(&[Some("de_DE")]), Lang::DeDe);
    }

    #[test]
    fn primary_subtags_match() {
        assert_eq!(pick_language(&[Some("de")]), Lang::DeDe);
        assert_eq!(pick_language(&[Some("de-AT")]), Lang::DeDe);
        assert_eq!(pick_language(&[Some("de-CH")]), Lang::DeDe);
        assert_eq!(pick_language(&[Some("en-GB")]), Lang::EnUs);
        assert_eq!(pick_language(&[Some("EN")]), Lang::EnUs);
    }

    #[test]
    fn the_first_usable_candidate_wins() {
        assert_eq!(
            pick_language(&[None, Some("fr-FR"), Some(""), Some("de-AT"), Some("en-US")]),
            Lang::DeDe
        );
        assert_eq!(pick_language(&[Some("en-GB"), Some("de-DE")]), Lang::EnUs);
    }

    #[test]
    fn nothing_usable_means_english() {
        assert_eq!(pick_language(&[]), Lang::EnUs);
        assert_eq!(pick_language(&[None, Some("fr"), Some("  ")]), Lang::EnUs);
        assert_eq!(pick_language(&[Some("deu")]), Lang::EnUs);
    }

    #[test]
    fn tags_and_serde_agree() {
        for l in Lang::ALL {
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, format!("\"{}\"", l.tag()));
            assert_eq!(Lang::from_tag(l.tag()), Some(l));
            assert_eq!(l.to_string(), l.tag());
        }
    }
}
