//! `POST /v1.0/invitations`: invite an external user (Graph's `invitation`).

use super::body::{GraphBody, Props};
use super::{GraphPrincipal, base, created, fail, odata, refusal};
use crate::AppState;
use crate::error::GraphError;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_app::graph_api::GraphAction;
use portico_app::invitations::Invited;
use portico_domain::invitation::{MessageInfo, NewInvitation, Recipient};
use portico_domain::user::UserType;
use serde_json::{Value, json};

const WRITABLE: &[&str] = &[
    "invitedUserEmailAddress",
    "inviteRedirectUrl",
    "invitedUserDisplayName",
    "sendInvitationMessage",
    "invitedUserMessageInfo",
    "invitedUserType",
    "resetRedemption",
    "invitedUser",
    "invitedUserSponsors",
];
const READ_ONLY: &[&str] = &["id", "inviteRedeemUrl", "status"];

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn text(v: Option<&Value>, name: &str) -> Result<Option<String>, GraphError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("Property '{name}' must be a string."))),
    }
}

fn message_info(v: Option<&Value>) -> Result<MessageInfo, GraphError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(MessageInfo::default());
    };
    let Value::Object(m) = v else {
        return Err(bad("Property 'invitedUserMessageInfo' must be an object."));
    };
    let mut info = MessageInfo::default();
    for (k, val) in m {
        match k.as_str() {
            "customizedMessageBody" => {
                info.customized_message_body = text(Some(val), "customizedMessageBody")?;
            }
            "messageLanguage" => info.message_language = text(Some(val), "messageLanguage")?,
            "ccRecipients" => {
                let list = match val {
                    Value::Null => Vec::new(),
                    Value::Array(a) => a.clone(),
                    _ => return Err(bad("Property 'ccRecipients' must be a collection.")),
                };
                for r in list {
                    let e = r.get("emailAddress").cloned().unwrap_or(Value::Null);
                    let address = text(e.get("address"), "ccRecipients.emailAddress.address")?;
                    let name = text(e.get("name"), "ccRecipients.emailAddress.name")?;
                    // Graph echoes an empty recipient when none is given; accept and drop it
                    if let Some(address) = address {
                        info.cc_recipients.push(Recipient { name, address });
                    }
                }
            }
            other => {
                return Err(bad(format!(
                    "Property 'invitedUserMessageInfo.{}' does not exist.",
                    other.chars().take(64).collect::<String>()
                )));
            }
        }
    }
    Ok(info)
}

fn ids(v: Option<&Value>, name: &str) -> Result<Vec<uuid::Uuid>, GraphError> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad(format!("Property '{name}' must be a collection."))),
    };
    list.iter()
        .map(|o| {
            o.get("id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| {
                    bad(format!(
                        "Each of '{name}' must be {{\"id\": \"<object id>\"}}."
                    ))
                })
        })
        .collect()
}

fn parse(body: &GraphBody) -> Result<NewInvitation, GraphError> {
    let p = Props::new(body, "Invitation", WRITABLE, READ_ONLY)?;
    let user_type = match p.non_null_string("invitedUserType")?.as_deref() {
        None => None,
        Some(t) if t.eq_ignore_ascii_case("Guest") => Some(UserType::Guest),
        Some(t) if t.eq_ignore_ascii_case("Member") => Some(UserType::Member),
        Some(_) => return Err(bad("invitedUserType must be Guest or Member.")),
    };
    let invited_user = match p.raw("invitedUser") {
        None | Some(Value::Null) => None,
        Some(v) => Some(portico_domain::UserId(
            v.get("id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("invitedUser must be {\"id\": \"<user id>\"}."))?,
        )),
    };
    Ok(NewInvitation {
        invited_user_email_address: p.required_string("invitedUserEmailAddress")?,
        invite_redirect_url: p.required_string("inviteRedirectUrl")?,
        invited_user_display_name: p.string("invitedUserDisplayName")?.flatten(),
        send_invitation_message: p.non_null_bool("sendInvitationMessage")?.unwrap_or(false),
        message_info: message_info(p.raw("invitedUserMessageInfo"))?,
        invited_user_type: user_type,
        reset_redemption: p.non_null_bool("resetRedemption")?.unwrap_or(false),
        invited_user,
        sponsors: ids(p.raw("invitedUserSponsors"), "invitedUserSponsors")?,
    })
}

fn wire(base: &str, i: &Invited) -> Value {
    let inv = &i.invitation;
    let info = &inv.message_info;
    let cc: Vec<Value> = if info.cc_recipients.is_empty() {
        vec![json!({"emailAddress": {"name": null, "address": null}})]
    } else {
        info.cc_recipients
            .iter()
            .map(|r| json!({"emailAddress": {"name": r.name, "address": r.address}}))
            .collect()
    };
    json!({
        "@odata.context": format!("{base}/v1.0/$metadata#invitations/$entity"),
        "id": inv.id.to_string(),
        "inviteRedeemUrl": i.redeem_url,
        "invitedUserDisplayName": i.user.display_name,
        "invitedUserType": i.user.user_type.as_str(),
        "invitedUserEmailAddress": inv.invited_email,
        "sendInvitationMessage": inv.send_message,
        "resetRedemption": i.reset_redemption,
        "inviteRedirectUrl": inv.redirect_url,
        // a redeemed guest invited again keeps its sign-in: Graph reports it completed
        "status": if i.user.external_user_state == Some(portico_domain::user::ExternalUserState::Accepted) { "Completed" } else { "PendingAcceptance" },
        "invitedUserMessageInfo": {
            "messageLanguage": info.message_language,
            "customizedMessageBody": info.customized_message_body,
            "ccRecipients": cc,
        },
        "invitedUser": {"id": i.user.id.to_string()},
    })
}

/// `POST /v1.0/invitations` → 201 with the invitation and its redeem URL.
pub async fn create(
    State(state): State<AppState>,
    GraphPrincipal(caller): GraphPrincipal,
    RawQuery(query): RawQuery,
    body: GraphBody,
) -> Response {
    if let Err(r) = state.app.graph_require(&caller, GraphAction::InviteGuests) {
        return refusal(r);
    }
    let parsed = odata::no_options(query.as_deref()).and_then(|()| parse(&body));
    let new = match parsed {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match state.app.graph_invite(&caller, new).await {
        Ok(invited) => {
            let base = base(&state);
            let mut res = created(
                &format!("{base}/v1.0/users/{}", invited.user.id),
                wire(base, &invited),
            );
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(f) => fail(f),
    }
}
