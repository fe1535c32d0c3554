//! Cleaning of caller-supplied values before they reach a template or a header: one-line
//! texts, brand colours, links and multi-line custom messages.

/// The brand colour used when a tenant sets none or an invalid one (Entra's blue).
pub(crate) const DEFAULT_BRAND_COLOR: &str = "#0067b8";

/// The text on one line: control characters (line breaks included) become spaces, runs of
/// whitespace collapse to one, and the ends are trimmed. For subjects and display names.
pub(crate) fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `#rrggbb` colour (lowercased), or the default brand colour.
pub(crate) fn brand_color(color: Option<&str>) -> String {
    match color.map(str::trim) {
        Some(c)
            if c.len() == 7
                && c.starts_with('#')
                && c.chars().skip(1).all(|ch| ch.is_ascii_hexdigit()) =>
        {
            c.to_ascii_lowercase()
        }
        _ => DEFAULT_BRAND_COLOR.to_owned(),
    }
}

/// An absolute `http`/`https` URL with a host, as the `url` crate serializes it; anything else
/// (relative, `javascript:`, `data:`, unparsable) is `None`.
pub(crate) fn http_url(s: &str) -> Option<String> {
    let url = url::Url::parse(s.trim()).ok()?;
    let web = matches!(url.scheme(), "http" | "https");
    (web && url.host().is_some()).then(|| url.to_string())
}

/// A custom message as lines: line breaks normalized, other control characters dropped,
/// trailing spaces trimmed, blank lines at either end removed. Empty when nothing is left.
pub(crate) fn message_lines(s: &str) -> Vec<String> {
    let normalized = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines: Vec<String> = normalized
        .split('\n')
        .map(|l| {
            l.chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .filter(|c| !c.is_control())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let leading = lines.iter().take_while(|l| l.is_empty()).count();
    lines.drain(..leading);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_collapses_breaks_and_controls() {
        assert_eq!(one_line("  Contoso\r\nLtd\t\u{7}x  "), "Contoso Ltd x");
        assert_eq!(one_line(""), "");
    }

    #[test]
    fn brand_colors_are_validated() {
        assert_eq!(brand_color(Some("#A1B2C3")), "#a1b2c3");
        assert_eq!(brand_color(Some(" #0f0f0f ")), "#0f0f0f");
        for bad in [
            "red", "#fff", "#12345g", "#1234567", "0067b8", "#00;x:1", "", "#ééé",
        ] {
            assert_eq!(brand_color(Some(bad)), DEFAULT_BRAND_COLOR, "{bad}");
        }
        assert_eq!(brand_color(None), DEFAULT_BRAND_COLOR);
    }

    #[test]
    fn only_absolute_web_urls_pass() {
        assert_eq!(
            http_url("https://contoso.example/logo.png").as_deref(),
            Some("https://contoso.example/logo.png")
        );
        assert!(http_url("http://contoso.example/").is_some());
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/relative/logo.png",
            "//contoso.example/x",
            "ftp://contoso.example/x",
            "mailto:a@b.example",
            "",
        ] {
            assert!(http_url(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn message_lines_keep_breaks_and_drop_noise() {
        assert_eq!(
            message_lines("\r\n\r\nHello,\r\n\r\nwelcome\u{0}!  \n\n"),
            vec!["Hello,", "", "welcome!"]
        );
        assert!(message_lines(" \n \t\n").is_empty());
    }
}
