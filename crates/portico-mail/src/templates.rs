//! The askama templates (`templates/<lang>/*.html|txt`) and the already-cleaned values they
//! show. HTML templates escape every value; text templates (`.txt`) print values as they are.

/// What every mail's frame shows: language, colours, logo, organization, title.
pub(crate) struct Frame {
    /// The language tag, for `<html lang>`.
    pub(crate) lang: &'static str,
    /// A validated `#rrggbb` colour.
    pub(crate) brand: String,
    /// A validated http(s) logo URL.
    pub(crate) logo: Option<String>,
    /// The organization the mail is about, on one line.
    pub(crate) org_name: String,
    /// The subject, repeated as the page title and heading.
    pub(crate) title: String,
    /// Whether the footer says the mail was sent on the organization's behalf.
    pub(crate) on_behalf: bool,
}

/// The values of an invitation.
pub(crate) struct InvitationView {
    pub(crate) frame: Frame,
    pub(crate) org_domain: String,
    /// `Name (email)`, `Name` or `email`.
    pub(crate) inviter: Option<String>,
    /// The custom message for the text body (line breaks as `\n`).
    pub(crate) message: Option<String>,
    /// The custom message's lines for the HTML body.
    pub(crate) message_lines: Vec<String>,
    pub(crate) accept_url: String,
    pub(crate) destination: String,
    pub(crate) privacy_url: Option<String>,
    pub(crate) block_url: String,
}

/// The values of a mail carrying a code (passcode, block confirmation).
pub(crate) struct CodeView {
    pub(crate) frame: Frame,
    pub(crate) code: String,
    pub(crate) minutes: u32,
}

/// The values of a redemption notice.
pub(crate) struct RedeemedView {
    pub(crate) frame: Frame,
    pub(crate) org_domain: String,
    pub(crate) destination_url: String,
}

/// Declares one template over a view.
macro_rules! template {
    ($name:ident, $view:ident, $path:tt) => {
        #[derive(askama::Template)]
        #[template(path = $path)]
        pub(crate) struct $name<'a> {
            pub(crate) v: &'a $view,
        }
    };
}

template!(InvitationHtmlEn, InvitationView, "en-US/invitation.html");
template!(InvitationTextEn, InvitationView, "en-US/invitation.txt");
template!(InvitationHtmlDe, InvitationView, "de-DE/invitation.html");
template!(InvitationTextDe, InvitationView, "de-DE/invitation.txt");

template!(OtpHtmlEn, CodeView, "en-US/otp.html");
template!(OtpTextEn, CodeView, "en-US/otp.txt");
template!(OtpHtmlDe, CodeView, "de-DE/otp.html");
template!(OtpTextDe, CodeView, "de-DE/otp.txt");

template!(RedeemedHtmlEn, RedeemedView, "en-US/redeemed.html");
template!(RedeemedTextEn, RedeemedView, "en-US/redeemed.txt");
template!(RedeemedHtmlDe, RedeemedView, "de-DE/redeemed.html");
template!(RedeemedTextDe, RedeemedView, "de-DE/redeemed.txt");

template!(BlockHtmlEn, CodeView, "en-US/block_confirm.html");
template!(BlockTextEn, CodeView, "en-US/block_confirm.txt");
template!(BlockHtmlDe, CodeView, "de-DE/block_confirm.html");
template!(BlockTextDe, CodeView, "de-DE/block_confirm.txt");
