//! The mails Portico sends, each a struct of inputs with a `render` that yields the subject
//! and both bodies in the mail's language. Inputs are cleaned here (one-line names, validated
//! colours and links), so templates only ever see safe values.

use askama::Template;

use crate::lang::Lang;
use crate::sanitize::{brand_color, http_url, message_lines, one_line};
use crate::templates::{
    BlockHtmlDe, BlockHtmlEn, BlockTextDe, BlockTextEn, CodeView, Frame, InvitationHtmlDe,
    InvitationHtmlEn, InvitationTextDe, InvitationTextEn, InvitationView, OtpHtmlDe, OtpHtmlEn,
    OtpTextDe, OtpTextEn, RedeemedHtmlDe, RedeemedHtmlEn, RedeemedTextDe, RedeemedTextEn,
    RedeemedView,
};

/// A rendered mail: subject, plain-text body and HTML body.
///
/// `Debug` shows only the subject: bodies carry passcodes and redeem links.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line (one line).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Why a mail could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A required value is empty.
    #[error("{0} is empty")]
    Missing(&'static str),
    /// A link that must be an absolute http(s) URL is not one.
    #[error("{0} is not an absolute http(s) URL")]
    InvalidUrl(&'static str),
    /// The template engine failed.
    #[error("template rendering failed: {0}")]
    Template(#[from] askama::Error),
}

/// An invitation to a guest, shaped like Entra's B2B invitation email.
#[derive(Clone)]
pub struct InvitationMail {
    /// The language to write in.
    pub lang: Lang,
    /// The inviting organization's display name.
    pub org_name: String,
    /// The inviting organization's initial domain (e.g. `contoso.onportico.test`).
    pub org_domain: String,
    /// The inviter's display name, if the invitation was sent by a user.
    pub inviter_name: Option<String>,
    /// The inviter's email address.
    pub inviter_email: Option<String>,
    /// The inviter's message, plain text; line breaks are kept.
    pub custom_message: Option<String>,
    /// The redeem link behind the *Accept invitation* button (absolute http(s)).
    pub accept_url: String,
    /// The host the guest lands on after redeeming, shown as "You will be redirected to ...".
    pub destination: String,
    /// The organization's privacy statement (absolute http(s)); otherwise a line says there is
    /// none.
    pub privacy_url: Option<String>,
    /// The link to block future invitations from this organization (absolute http(s)).
    pub block_url: String,
    /// The organization's brand colour, `#rrggbb`; anything else gives the default `#0067b8`.
    pub brand_color: Option<String>,
    /// The organization's logo (absolute http(s)); anything else shows the name instead.
    pub logo_url: Option<String>,
}

impl std::fmt::Debug for InvitationMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationMail")
            .field("lang", &self.lang)
            .field("org_name", &self.org_name)
            .field("org_domain", &self.org_domain)
            .finish_non_exhaustive()
    }
}

impl InvitationMail {
    /// Renders the invitation.
    ///
    /// # Errors
    /// [`RenderError::Missing`] without an organization name, [`RenderError::InvalidUrl`] when
    /// the accept or block link is not an absolute http(s) URL.
    pub fn render(&self) -> Result<Rendered, RenderError> {
        let org_name = required("org_name", &self.org_name)?;
        let accept_url = http_url(&self.accept_url).ok_or(RenderError::InvalidUrl("accept_url"))?;
        let block_url = http_url(&self.block_url).ok_or(RenderError::InvalidUrl("block_url"))?;
        let name = optional(self.inviter_name.as_deref());
        let email = optional(self.inviter_email.as_deref());
        let who = name.clone().unwrap_or_else(|| org_name.clone());
        let subject = match self.lang {
            Lang::EnUs => {
                format!("{who} invited you to access applications within their organization")
            }
            Lang::DeDe => format!(
                "{who} hat Sie eingeladen, auf Anwendungen der eigenen Organisation zuzugreifen"
            ),
        };
        let inviter = match (name, email) {
            (Some(n), Some(e)) => Some(format!("{n} ({e})")),
            (n, e) => n.or(e),
        };
        let lines = self
            .custom_message
            .as_deref()
            .map(message_lines)
            .unwrap_or_default();
        let view = InvitationView {
            frame: frame(
                self.lang,
                org_name,
                &subject,
                self.brand_color.as_deref(),
                self.logo_url.as_deref(),
                true,
            ),
            org_domain: one_line(&self.org_domain),
            inviter,
            message: (!lines.is_empty()).then(|| lines.join("\n")),
            message_lines: lines,
            accept_url,
            destination: one_line(&self.destination),
            privacy_url: self.privacy_url.as_deref().and_then(http_url),
            block_url,
        };
        let v = &view;
        match self.lang {
            Lang::EnUs => finish(
                v.frame.title.clone(),
                &InvitationHtmlEn { v },
                &InvitationTextEn { v },
            ),
            Lang::DeDe => finish(
                v.frame.title.clone(),
                &InvitationHtmlDe { v },
                &InvitationTextDe { v },
            ),
        }
    }
}

/// A one-time passcode for email sign-in (Entra's email one-time passcode).
#[derive(Clone)]
pub struct OtpMail {
    /// The language to write in.
    pub lang: Lang,
    /// The organization the guest signs in to.
    pub org_name: String,
    /// The passcode.
    pub code: String,
    /// How long the passcode is valid, in minutes.
    pub minutes_valid: u32,
    /// The organization's brand colour, `#rrggbb`; anything else gives the default.
    pub brand_color: Option<String>,
    /// The organization's logo (absolute http(s)).
    pub logo_url: Option<String>,
}

impl std::fmt::Debug for OtpMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpMail")
            .field("lang", &self.lang)
            .field("org_name", &self.org_name)
            .field("minutes_valid", &self.minutes_valid)
            .finish_non_exhaustive()
    }
}

impl OtpMail {
    /// Renders the passcode mail.
    ///
    /// # Errors
    /// [`RenderError::Missing`] without an organization name or code.
    pub fn render(&self) -> Result<Rendered, RenderError> {
        let org_name = required("org_name", &self.org_name)?;
        let code = required("code", &self.code)?;
        let subject = match self.lang {
            Lang::EnUs => format!("{org_name} account verification code"),
            Lang::DeDe => format!("Bestätigungscode für Ihr Konto bei {org_name}"),
        };
        let view = CodeView {
            frame: frame(
                self.lang,
                org_name,
                &subject,
                self.brand_color.as_deref(),
                self.logo_url.as_deref(),
                true,
            ),
            code,
            minutes: self.minutes_valid,
        };
        let v = &view;
        match self.lang {
            Lang::EnUs => finish(v.frame.title.clone(), &OtpHtmlEn { v }, &OtpTextEn { v }),
            Lang::DeDe => finish(v.frame.title.clone(), &OtpHtmlDe { v }, &OtpTextDe { v }),
        }
    }
}

/// The notice that a guest now has access to an organization, sent when an invitation was
/// redeemed automatically (trust between tenants) rather than by the guest.
#[derive(Clone, Debug)]
pub struct RedeemedNotification {
    /// The language to write in.
    pub lang: Lang,
    /// The organization the guest now has access to.
    pub org_name: String,
    /// Its initial domain.
    pub org_domain: String,
    /// Where the guest can go now (absolute http(s)).
    pub destination_url: String,
}

impl RedeemedNotification {
    /// Renders the notice.
    ///
    /// # Errors
    /// [`RenderError::Missing`] without an organization name, [`RenderError::InvalidUrl`] when
    /// the destination is not an absolute http(s) URL.
    pub fn render(&self) -> Result<Rendered, RenderError> {
        let org_name = required("org_name", &self.org_name)?;
        let destination_url =
            http_url(&self.destination_url).ok_or(RenderError::InvalidUrl("destination_url"))?;
        let subject = match self.lang {
            Lang::EnUs => format!("You now have access to {org_name}"),
            Lang::DeDe => format!("Sie haben jetzt Zugriff auf {org_name}"),
        };
        let view = RedeemedView {
            frame: frame(self.lang, org_name, &subject, None, None, true),
            org_domain: one_line(&self.org_domain),
            destination_url,
        };
        let v = &view;
        match self.lang {
            Lang::EnUs => finish(
                v.frame.title.clone(),
                &RedeemedHtmlEn { v },
                &RedeemedTextEn { v },
            ),
            Lang::DeDe => finish(
                v.frame.title.clone(),
                &RedeemedHtmlDe { v },
                &RedeemedTextDe { v },
            ),
        }
    }
}

/// The code a recipient enters to confirm blocking future invitations from an organization.
#[derive(Clone)]
pub struct BlockConfirmMail {
    /// The language to write in.
    pub lang: Lang,
    /// The organization whose invitations are to be blocked.
    pub org_name: String,
    /// The confirmation code.
    pub code: String,
    /// How long the code is valid, in minutes.
    pub minutes_valid: u32,
}

impl std::fmt::Debug for BlockConfirmMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockConfirmMail")
            .field("lang", &self.lang)
            .field("org_name", &self.org_name)
            .field("minutes_valid", &self.minutes_valid)
            .finish_non_exhaustive()
    }
}

impl BlockConfirmMail {
    /// Renders the confirmation mail.
    ///
    /// # Errors
    /// [`RenderError::Missing`] without an organization name or code.
    pub fn render(&self) -> Result<Rendered, RenderError> {
        let org_name = required("org_name", &self.org_name)?;
        let code = required("code", &self.code)?;
        let subject = match self.lang {
            Lang::EnUs => format!("Confirm blocking invitations from {org_name}"),
            Lang::DeDe => format!("Blockieren von Einladungen von {org_name} bestätigen"),
        };
        // Sent by Portico for the recipient, not on the blocked organization's behalf.
        let view = CodeView {
            frame: frame(self.lang, org_name, &subject, None, None, false),
            code,
            minutes: self.minutes_valid,
        };
        let v = &view;
        match self.lang {
            Lang::EnUs => finish(
                v.frame.title.clone(),
                &BlockHtmlEn { v },
                &BlockTextEn { v },
            ),
            Lang::DeDe => finish(
                v.frame.title.clone(),
                &BlockHtmlDe { v },
                &BlockTextDe { v },
            ),
        }
    }
}

/// The value on one line, or [`RenderError::Missing`] when nothing is left.
fn required(field: &'static str, value: &str) -> Result<String, RenderError> {
    let v = one_line(value);
    if v.is_empty() {
        Err(RenderError::Missing(field))
    } else {
        Ok(v)
    }
}

/// The value on one line, `None` when absent or blank.
fn optional(value: Option<&str>) -> Option<String> {
    value.map(one_line).filter(|v| !v.is_empty())
}

/// The frame of a mail, with its colour and logo validated.
fn frame(
    lang: Lang,
    org_name: String,
    subject: &str,
    brand: Option<&str>,
    logo: Option<&str>,
    on_behalf: bool,
) -> Frame {
    Frame {
        lang: lang.tag(),
        brand: brand_color(brand),
        logo: logo.and_then(http_url),
        org_name,
        title: one_line(subject),
        on_behalf,
    }
}

/// Renders both bodies; the text body is tidied (no blank runs, one final line break).
fn finish(
    subject: String,
    html: &impl Template,
    text: &impl Template,
) -> Result<Rendered, RenderError> {
    Ok(Rendered {
        subject,
        html: html.render()?,
        text: tidy_text(&text.render()?),
    })
}

/// Trims trailing spaces on every line, keeps at most one blank line in a row, and ends the
/// text with exactly one line break.
fn tidy_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0usize;
    for line in s.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "mails_tests.rs"]
mod tests;
