//! Accounts: whoami, user/org overviews, README metadata validation, telemetry.

use axum::response::Response;
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

/// `POST /api/validate-yaml`: checks that the README front matter is a YAML-ish mapping.
pub(super) async fn validate_yaml(ctx: &mut Ctx) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    let mut errors: Vec<Value> = vec![];
    if let Some(rest) = content
        .strip_prefix("---\n")
        .or_else(|| content.strip_prefix("---\r\n"))
    {
        match rest.find("\n---") {
            None => errors.push(json!({"message": "README metadata block is not closed with ---"})),
            Some(end) => {
                for line in rest[..end].lines() {
                    let t = line.trim_end();
                    if t.is_empty()
                        || t.starts_with('#')
                        || t.starts_with(' ')
                        || t.starts_with('-')
                        || t.starts_with('\t')
                    {
                        continue;
                    }
                    if !t.contains(':') {
                        errors.push(json!({"message": format!("Invalid YAML line: {t}")}));
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(super::json(json!({"errors": [], "warnings": []})))
    } else {
        let mut resp = super::json(json!({"errors": errors, "warnings": []}));
        *resp.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        Ok(resp)
    }
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
