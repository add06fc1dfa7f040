//! Accounts: whoami, user/org overviews, README metadata validation, telemetry.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};

pub(super) fn avatar(name: &str) -> String {
    format!(
        "https://www.gravatar.com/avatar/{}?d=retro",
        crate::util::sha256_hex(name.as_bytes())
            .get(..32)
            .unwrap_or("")
    )
}

/// `GET /api/whoami-v2`.
pub(super) async fn whoami(ctx: &mut Ctx) -> HubResult<Response> {
    let caller = ctx.need_caller()?.clone();
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    let user = auth.users.get(&caller.name).ok_or_else(|| {
        HubError::Unauthorized("Invalid credentials in Authorization header".into())
    })?;
    let orgs: Vec<Value> = auth
        .orgs_of(&caller.name)
        .into_iter()
        .map(|(name, o)| {
            json!({"type": "org", "id": o.id, "name": name, "fullname": o.fullname, "email": null,
                   "canPay": false, "avatarUrl": avatar(name), "periodEnd": null, "roleInOrg": "admin",
                   "isEnterprise": false})
        })
        .collect();
    Ok(super::json(json!({
        "type": "user",
        "id": user.id,
        "name": caller.name,
        "fullname": user.fullname,
        "email": user.email,
        "emailVerified": user.email.is_some(),
        "isPro": false,
        "canPay": false,
        "periodEnd": null,
        "avatarUrl": avatar(&caller.name),
        "orgs": orgs,
        "auth": {"type": "access_token", "accessToken": {
            "displayName": caller.token_name,
            "role": if caller.write { "write" } else { "read" },
            "createdAt": caller.token_created,
        }},
    })))
}

/// `POST /api/validate-yaml`: judges a README's metadata. Accepts the JSON body of
/// `HfApi._validate_yaml` (`{"content", "repoType"}`) and the form body of `RepoCard.validate`
/// (`repoType=…&content=…`, `Accept: text/plain`, which gets its verdict as plain text since
/// that client raises `ValueError(response.text)`). 400 when the metadata is invalid.
pub(super) async fn validate_yaml(ctx: &mut Ctx) -> HubResult<Response> {
    let is_form = ctx
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let wants_text = ctx
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("text/plain"));
    let content = if is_form {
        let bytes = ctx.body_bytes(super::JSON_LIMIT).await?;
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| HubError::BadRequest(format!("Invalid form body: {e}")))?;
        form.into_iter()
            .find(|(k, _)| k == "content")
            .map(|(_, v)| v)
    } else {
        let body: Value = ctx.json().await?;
        body.get("content")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let content = content
        .ok_or_else(|| HubError::BadRequest("Missing `content` (the README text)".into()))?;
    let verdict = crate::card::validate(&content);
    let status = if verdict.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    let mut resp = if wants_text {
        let text = if verdict.errors.is_empty() {
            verdict.warnings.join("\n")
        } else {
            verdict.error_text()
        };
        text.into_response()
    } else {
        let msgs = |list: &[String]| -> Vec<Value> {
            list.iter().map(|m| json!({"message": m})).collect()
        };
        super::json(json!({"errors": msgs(&verdict.errors), "warnings": msgs(&verdict.warnings)}))
    };
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /api/users/{user}/overview`.
pub(super) async fn user_overview(ctx: &mut Ctx, name: &str) -> HubResult<Response> {
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    let (uname, user) = auth
        .users
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| HubError::NotFound(format!("User {name} not found")))?;
    let orgs: Vec<Value> = auth
        .orgs_of(uname)
        .into_iter()
        .map(|(n, o)| json!({"name": n, "fullname": o.fullname, "avatarUrl": avatar(n)}))
        .collect();
    Ok(super::json(json!({
        "_id": user.id, "user": uname, "fullname": user.fullname, "avatarUrl": avatar(uname),
        "type": "user", "isPro": false, "createdAt": user.created_at, "orgs": orgs,
        "numFollowers": 0, "numFollowing": 0, "numModels": 0, "numDatasets": 0, "numSpaces": 0,
    })))
}

/// `GET /api/organizations/{org}/overview`.
pub(super) async fn org_overview(ctx: &mut Ctx, name: &str) -> HubResult<Response> {
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    let (oname, org) = auth
        .orgs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| HubError::NotFound(format!("Organization {name} not found")))?;
    Ok(super::json(json!({
        "_id": org.id, "name": oname, "fullname": org.fullname, "avatarUrl": avatar(oname),
        "type": "org", "numUsers": org.members.len(), "createdAt": org.created_at,
    })))
}

/// `GET /api/organizations/{org}/members` (single page).
pub(super) async fn org_members(ctx: &mut Ctx, name: &str) -> HubResult<Response> {
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    let (_, org) = auth
        .orgs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| HubError::NotFound(format!("Organization {name} not found")))?;
    let members: Vec<Value> = org
        .members
        .iter()
        .map(|m| {
            let fullname = auth.users.get(m).map(|u| u.fullname.clone()).unwrap_or_default();
            json!({"user": m, "fullname": fullname, "avatarUrl": avatar(m), "type": "user", "isPro": false})
        })
        .collect();
    Ok(super::json(Value::Array(members)))
}
