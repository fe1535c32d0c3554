//! Tests of the mail templates: key values in both languages, escaping, fallbacks.

use super::*;

const ACCEPT: &str = "https://portico.local/redeem?ticket=abc123&tenant=contoso";
const BLOCK: &str = "https://portico.local/invitations/block?ticket=abc123";

fn invitation(lang: Lang) -> InvitationMail {
    InvitationMail {
        lang,
        org_name: "Contoso Ltd".into(),
        org_domain: "contoso.onportico.test".into(),
        inviter_name: Some("Ada Admin".into()),
        inviter_email: Some("ada@contoso.example".into()),
        custom_message: Some("Welcome aboard!\nSee you soon.".into()),
        accept_url: ACCEPT.into(),
        destination: "myapps.contoso.example".into(),
        privacy_url: Some("https://contoso.example/privacy".into()),
        block_url: BLOCK.into(),
        brand_color: Some("#107C10".into()),
        logo_url: Some("https://contoso.example/logo.png".into()),
    }
}

fn otp(lang: Lang) -> OtpMail {
    OtpMail {
        lang,
        org_name: "Contoso Ltd".into(),
        code: "73910428".into(),
        minutes_valid: 30,
        brand_color: None,
        logo_url: None,
    }
}

fn redeemed(lang: Lang) -> RedeemedNotification {
    RedeemedNotification {
        lang,
        org_name: "Contoso Ltd".into(),
        org_domain: "contoso.onportico.test".into(),
        destination_url: "https://myapps.contoso.example/start".into(),
    }
}

fn block(lang: Lang) -> BlockConfirmMail {
    BlockConfirmMail {
        lang,
        org_name: "Contoso Ltd".into(),
        code: "551177".into(),
        minutes_valid: 1,
    }
}

/// `s` as askama escapes it in HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// What holds for every rendered mail.
fn check_common(r: &Rendered, lang: Lang) {
    assert!(!r.subject.contains('\n'));
    assert!(r.html.starts_with("<!doctype html>"), "{}", r.html);
    assert!(r.html.contains(&format!("<html lang=\"{}\">", lang.tag())));
    assert!(
        r.text.ends_with('\n') && !r.text.ends_with("\n\n"),
        "{:?}",
        r.text
    );
    assert!(!r.text.contains("\n\n\n"), "{:?}", r.text);
    assert!(
        !r.text.contains('<') && !r.text.contains("&amp;"),
        "{}",
        r.text
    );
    assert!(r.text.contains("Portico"), "footer: {}", r.text);
}

#[test]
fn invitations_show_their_values_in_both_languages() {
    let html_accept = esc(ACCEPT);
    for lang in Lang::ALL {
        let r = invitation(lang).render().unwrap();
        check_common(&r, lang);
        for body in [&r.text, &r.html] {
            for value in [
                "Contoso Ltd",
                "contoso.onportico.test",
                "Ada Admin (ada@contoso.example)",
                "myapps.contoso.example",
            ] {
                assert!(body.contains(value), "{lang}: {value} missing from {body}");
            }
        }
        assert!(r.text.contains(ACCEPT), "{}", r.text);
        assert!(r.text.contains(BLOCK), "{}", r.text);
        assert!(r.text.contains("https://contoso.example/privacy"));
        assert!(
            r.html.contains(&format!("href=\"{html_accept}\"")),
            "{}",
            r.html
        );
        assert!(r.html.contains(&format!("href=\"{BLOCK}\"")), "{}", r.html);
        assert!(r.html.contains("href=\"https://contoso.example/privacy\""));
        assert!(r.html.contains("src=\"https://contoso.example/logo.png\""));
        assert!(r.html.contains("#107c10"), "brand colour used");
        assert!(
            r.text.contains("Welcome aboard!\nSee you soon."),
            "{}",
            r.text
        );
        assert!(
            r.html.contains("Welcome aboard!<br>See you soon."),
            "{}",
            r.html
        );
    }
}

#[test]
fn invitation_wording_follows_entra() {
    let en = invitation(Lang::EnUs).render().unwrap();
    assert_eq!(
        en.subject,
        "Ada Admin invited you to access applications within their organization"
    );
    for body in [&en.text, &en.html] {
        assert!(body.contains(
            "Please only act on this email if you trust the individual and organization \
             represented below. In rare cases, individuals may receive fraudulent invitations \
             from bad actors posing as legitimate businesses. If you were not expecting this \
             invitation, proceed with caution."
        ));
        assert!(body.contains("Accept invitation"));
        assert!(body.contains("You will be redirected to myapps.contoso.example"));
        assert!(body.contains("Block future invitations from this organization"));
    }
    let de = invitation(Lang::DeDe).render().unwrap();
    assert_eq!(
        de.subject,
        "Ada Admin hat Sie eingeladen, auf Anwendungen der eigenen Organisation zuzugreifen"
    );
    for body in [&de.text, &de.html] {
        assert!(body.contains("Einladung annehmen"));
        assert!(body.contains("Sie werden zu myapps.contoso.example weitergeleitet."));
        assert!(body.contains("Zukünftige Einladungen von dieser Organisation blockieren"));
    }
}

#[test]
fn without_an_inviter_the_organization_invites() {
    let mut m = invitation(Lang::EnUs);
    m.inviter_name = None;
    m.inviter_email = None;
    m.custom_message = Some("  \n ".into());
    m.privacy_url = None;
    let r = m.render().unwrap();
    assert_eq!(
        r.subject,
        "Contoso Ltd invited you to access applications within their organization"
    );
    for body in [&r.text, &r.html] {
        assert!(!body.contains("Invited by"), "{body}");
        assert!(!body.contains("Message:"), "{body}");
        assert!(body.contains(
            "Contoso Ltd has not provided a link to their privacy statement for you to review."
        ));
    }
    m.inviter_email = Some("ops@contoso.example".into());
    let r = m.render().unwrap();
    assert!(
        r.text.contains("Invited by: ops@contoso.example\n"),
        "{}",
        r.text
    );
}

#[test]
fn the_custom_message_is_escaped_in_html_and_literal_in_text() {
    for lang in Lang::ALL {
        let mut m = invitation(lang);
        m.custom_message = Some("<script>alert(1)</script>\r\nline \"two\" & 'three'".into());
        m.inviter_name = Some("<b>Eve</b>".into());
        m.org_name = "Fabrikam & <Co>".into();
        let r = m.render().unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(!r.html.contains("<b>Eve"), "{}", r.html);
        let lines = format!(
            "{}<br>{}",
            esc("<script>alert(1)</script>"),
            esc("line \"two\" & 'three'")
        );
        assert!(r.html.contains(&lines), "{}", r.html);
        assert!(r.html.contains(&esc("Fabrikam & <Co>")), "{}", r.html);
        assert!(
            r.text
                .contains("<script>alert(1)</script>\nline \"two\" & 'three'"),
            "{}",
            r.text
        );
        assert!(r.text.contains("Fabrikam & <Co>"));
        assert!(r.subject.starts_with("<b>Eve</b> "), "{}", r.subject);
    }
}

#[test]
fn bad_brand_colours_and_logos_fall_back() {
    for lang in Lang::ALL {
        let mut m = invitation(lang);
        m.brand_color = Some("red;background:url(https://evil.example/x)".into());
        m.logo_url = Some("javascript:alert(1)".into());
        m.privacy_url = Some("javascript:alert(2)".into());
        let r = m.render().unwrap();
        assert!(r.html.contains("#0067b8"));
        assert!(!r.html.contains("evil.example"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(!r.html.contains("<img"), "the name stands in for the logo");
        assert!(!r.text.contains("javascript:"), "{}", r.text);
    }
}

#[test]
fn links_that_must_be_web_urls_are_checked() {
    let mut m = invitation(Lang::EnUs);
    m.accept_url = "javascript:alert(1)".into();
    assert!(matches!(
        m.render(),
        Err(RenderError::InvalidUrl("accept_url"))
    ));
    let mut m = invitation(Lang::EnUs);
    m.block_url = "/relative".into();
    assert!(matches!(
        m.render(),
        Err(RenderError::InvalidUrl("block_url"))
    ));
    let mut r = redeemed(Lang::DeDe);
    r.destination_url = "data:text/html,hi".into();
    assert!(matches!(
        r.render(),
        Err(RenderError::InvalidUrl("destination_url"))
    ));
    let mut m = invitation(Lang::EnUs);
    m.org_name = " \n".into();
    assert!(matches!(m.render(), Err(RenderError::Missing("org_name"))));
    let mut o = otp(Lang::EnUs);
    o.code = String::new();
    assert!(matches!(o.render(), Err(RenderError::Missing("code"))));
}

#[test]
fn passcode_mails_show_the_code_in_both_languages() {
    let en = otp(Lang::EnUs).render().unwrap();
    check_common(&en, Lang::EnUs);
    assert_eq!(en.subject, "Contoso Ltd account verification code");
    assert!(
        en.text.contains("Your verification code is: 73910428"),
        "{}",
        en.text
    );
    assert!(en.text.contains("valid for 30 minutes"));
    assert!(
        en.text
            .contains("If you didn't request a code, you can ignore this email.")
    );
    assert!(en.html.contains("73910428"));
    assert!(en.html.contains("valid for 30 minutes"));

    let de = otp(Lang::DeDe).render().unwrap();
    check_common(&de, Lang::DeDe);
    assert_eq!(de.subject, "Bestätigungscode für Ihr Konto bei Contoso Ltd");
    assert!(
        de.text.contains("Ihr Bestätigungscode lautet: 73910428"),
        "{}",
        de.text
    );
    assert!(de.text.contains("30 Minuten gültig"));
    assert!(de.html.contains("73910428"));
    assert!(de.html.contains("#0067b8"));
}

#[test]
fn redemption_notices_show_the_organization_and_link() {
    for (lang, subject) in [
        (Lang::EnUs, "You now have access to Contoso Ltd"),
        (Lang::DeDe, "Sie haben jetzt Zugriff auf Contoso Ltd"),
    ] {
        let r = redeemed(lang).render().unwrap();
        check_common(&r, lang);
        assert_eq!(r.subject, subject);
        for body in [&r.text, &r.html] {
            assert!(
                body.contains("Contoso Ltd (contoso.onportico.test)"),
                "{body}"
            );
            assert!(
                body.contains("https://myapps.contoso.example/start"),
                "{body}"
            );
        }
        assert!(
            r.html
                .contains("href=\"https://myapps.contoso.example/start\"")
        );
    }
}

#[test]
fn block_confirmations_show_the_code_in_both_languages() {
    for (lang, subject, minutes) in [
        (
            Lang::EnUs,
            "Confirm blocking invitations from Contoso Ltd",
            "valid for 1 minute.",
        ),
        (
            Lang::DeDe,
            "Blockieren von Einladungen von Contoso Ltd bestätigen",
            "1 Minute gültig.",
        ),
    ] {
        let r = block(lang).render().unwrap();
        check_common(&r, lang);
        assert_eq!(r.subject, subject);
        for body in [&r.text, &r.html] {
            assert!(body.contains("551177"), "{body}");
            assert!(body.contains("Contoso Ltd"), "{body}");
            assert!(body.contains(minutes), "{body}");
            assert!(!body.contains("on behalf of"), "{body}");
            assert!(!body.contains("im Auftrag"), "{body}");
        }
    }
}

#[test]
fn debug_output_hides_codes_and_links() {
    let shown = format!(
        "{:?} {:?} {:?} {:?}",
        invitation(Lang::EnUs),
        otp(Lang::EnUs),
        block(Lang::EnUs),
        otp(Lang::EnUs).render().unwrap()
    );
    assert!(!shown.contains("abc123"), "{shown}");
    assert!(!shown.contains("73910428"), "{shown}");
    assert!(!shown.contains("551177"), "{shown}");
    assert!(shown.contains("Contoso Ltd"), "{shown}");
}

#[test]
fn text_bodies_are_tidy() {
    assert_eq!(tidy_text("\n\n a  \n\n\n\nb \n\n"), "a\n\nb\n");
}

#[test]
fn codes_are_the_only_long_digit_runs() {
    // Readers (people and tests) look for "the 6-digit number": nothing else may look like one.
    let runs = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|w| w.len() >= 5)
            .map(str::to_owned)
            .collect()
    };
    for lang in Lang::ALL {
        let mut o = otp(lang);
        o.code = "123456".into();
        let mut b = block(lang);
        b.code = "654321".into();
        for (r, code) in [
            (o.render().unwrap(), "123456"),
            (b.render().unwrap(), "654321"),
        ] {
            for body in [&r.text, &r.html] {
                assert!(runs(body).iter().all(|w| w == code), "{:?}", runs(body));
            }
        }
    }
}
