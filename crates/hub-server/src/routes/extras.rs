//! Likes and simulated Space management (runtime, hardware, sleep time, storage, secrets,
//! variables). Nothing runs: the server only records what was requested, so clients see
//! consistent answers.

use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};
use crate::repo::{Repo, RepoType, SpaceState};
use crate::util;

/// Runtime object of a Space as the Hub reports it.
pub(super) fn runtime_json(repo: &Repo) -> Value {
    let st = repo.meta.space.clone().unwrap_or_default();
    let hw = st.hardware.unwrap_or_else(|| "cpu-basic".into());
    let stage = st.stage.unwrap_or_else(|| "RUNNING".into());
    let current = if stage == "PAUSED" || stage == "STOPPED" {
        Value::Null
    } else {
        json!(hw)
    };
    json!({"stage": stage, "hardware": {"current": current, "requested": hw},
           "storage": st.storage, "gcTimeout": st.sleep_time.unwrap_or(172800),
           "replicas": {"current": 1, "requested": 1}})
}

/// `GET /api/spaces/{id}/runtime`.
pub(super) async fn runtime(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    Ok(super::json(runtime_json(&repo)))
}

/// The Space options of a create or duplicate request (`hardware`, `storageTier`,
/// `sleepTimeSeconds`, `secrets`, `variables`), as the runtime will report them; `None` when
/// the body names none of them.
pub(super) fn requested_space(body: &Value) -> HubResult<Option<SpaceState>> {
    let mut st = SpaceState::default();
    let mut any = false;
    if let Some(h) = body.get("hardware").and_then(Value::as_str) {
        st.hardware = Some(h.to_string());
        any = true;
    }
    if let Some(tier) = body.get("storageTier").and_then(Value::as_str) {
        if !matches!(tier, "small" | "medium" | "large") {
            return Err(HubError::BadRequest(format!(
                "Invalid storage tier {tier:?}"
            )));
        }
        st.storage = Some(tier.to_string());
        any = true;
    }
    if let Some(s) = body.get("sleepTimeSeconds").and_then(Value::as_i64) {
        st.sleep_time = Some(s);
        any = true;
    }
    let now = util::now_date();
    for (field, map) in [
        ("secrets", &mut st.secrets),
        ("variables", &mut st.variables),
    ] {
        for item in body
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = key_of(item)?;
            let mut v = json!({"updatedAt": now});
            if field == "variables" {
                v["value"] = json!(item.get("value").and_then(Value::as_str).unwrap_or(""));
            }
            if let Some(d) = item.get("description").and_then(Value::as_str) {
                v["description"] = json!(d);
            }
            map.insert(key, v);
            any = true;
        }
    }
    Ok(any.then_some(st))
}

fn key_of(body: &Value) -> HubResult<String> {
    body.get("key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .ok_or_else(|| HubError::BadRequest("Missing key".into()))
}

/// `POST|DELETE /api/spaces/{id}/{hardware|sleeptime|pause|restart|storage|secrets|variables}`,
/// and `GET .../variables`.
pub(super) async fn space_action(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    action: &str,
) -> HubResult<Response> {
    let method = ctx.method().clone();
    if method == axum::http::Method::GET {
        if action != "variables" {
            return Err(HubError::NotFound("Not Found".into()));
        }
        let repo = ctx.repo_write(ty, ns, name).await?;
        return Ok(super::json(json!(
            repo.meta.space.unwrap_or_default().variables
        )));
    }
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_write(ty, ns, name).await?;
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let mut repo = ctx
        .st
        .inner
        .repos
        .find(ty, &repo.ns, &repo.name)
        .await?
        .ok_or_else(|| internal("repo vanished"))?;
    let mut st: SpaceState = repo.meta.space.clone().unwrap_or_default();
    let delete = method == axum::http::Method::DELETE;
    let now = util::now_date();
    let mut answer = None;
    match action {
        "hardware" => {
            let flavor = body
                .get("flavor")
                .and_then(Value::as_str)
                .ok_or_else(|| HubError::BadRequest("Missing flavor".into()))?;
            st.hardware = Some(flavor.to_string());
            if let Some(s) = body.get("sleepTimeSeconds").and_then(Value::as_i64) {
                st.sleep_time = Some(s);
            }
        }
        "sleeptime" => {
            st.sleep_time = Some(
                body.get("seconds")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| HubError::BadRequest("Missing seconds".into()))?,
            );
        }
        "pause" => st.stage = Some("PAUSED".into()),
        "restart" => st.stage = Some("RUNNING".into()),
        "storage" if delete => st.storage = None,
        "storage" => {
            let tier = body.get("tier").and_then(Value::as_str).unwrap_or("");
            if !matches!(tier, "small" | "medium" | "large") {
                return Err(HubError::BadRequest(format!(
                    "Invalid storage tier {tier:?}"
                )));
            }
            st.storage = Some(tier.to_string());
        }
        "secrets" if delete => {
            st.secrets.remove(&key_of(&body)?);
            answer = Some(json!({}));
        }
        "secrets" => {
            let mut v = json!({"updatedAt": now});
            if let Some(d) = body.get("description").and_then(Value::as_str) {
                v["description"] = json!(d);
            }
            st.secrets.insert(key_of(&body)?, v);
            answer = Some(json!({}));
        }
        "variables" if delete => {
            st.variables.remove(&key_of(&body)?);
        }
        "variables" => {
            let value = body.get("value").and_then(Value::as_str).unwrap_or("");
            let mut v = json!({"value": value, "updatedAt": now});
            if let Some(d) = body.get("description").and_then(Value::as_str) {
                v["description"] = json!(d);
            }
            st.variables.insert(key_of(&body)?, v);
        }
        _ => return Err(HubError::NotFound("Not Found".into())),
    }
    let variables = st.variables.clone();
    repo.meta.space = Some(st);
    ctx.st.inner.repos.save_meta(&repo).await?;
    let answer = match (answer, action) {
        (Some(a), _) => a,
        (None, "variables") => json!(variables),
        (None, _) => runtime_json(&repo),
    };
    Ok(super::json(answer))
}

/// `POST|DELETE /api/{T}/{id}/like`.
pub(super) async fn like(ctx: &mut Ctx, ty: RepoType, ns: &str, name: &str) -> HubResult<Response> {
    let user = ctx.need_caller()?.name.clone();
    let repo = ctx.repo_read(ty, ns, name).await?;
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let mut repo = ctx
        .st
        .inner
        .repos
        .find(ty, &repo.ns, &repo.name)
        .await?
        .ok_or_else(|| internal("repo vanished"))?;
    repo.meta.likers.retain(|u| u != &user);
    if ctx.method() == axum::http::Method::POST {
        repo.meta.likers.push(user);
    }
    ctx.st.inner.repos.save_meta(&repo).await?;
    Ok(super::json(json!({})))
}

/// `GET /api/{T}/{id}/likers`.
pub(super) async fn likers(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    let items: Vec<Value> = repo
        .meta
        .likers
        .iter()
        .map(|u| json!({"user": u, "fullname": auth.users.get(u).map(|x| x.fullname.clone()), "avatarUrl": super::account::avatar(u), "type": "user", "isPro": false}))
        .collect();
    Ok(super::json(Value::Array(items)))
}

/// `GET /api/users/{user}/likes` (repos the caller may see).
pub(super) async fn user_likes(ctx: &mut Ctx, user: &str) -> HubResult<Response> {
    let mut items = vec![];
    for ty in [RepoType::Model, RepoType::Dataset, RepoType::Space] {
        for repo in ctx.st.inner.repos.list(ty).await? {
            if repo
                .meta
                .likers
                .iter()
                .any(|u| u.eq_ignore_ascii_case(user))
                && ctx.can_read(&repo).await?
            {
                items.push(json!({"createdAt": repo.meta.created_at, "repo": {"name": repo.id(), "type": ty.singular()}}));
            }
        }
    }
    Ok(super::json(Value::Array(items)))
}

/// The organization whose Spaces are the Hub's evaluation metrics (`evaluate-metric/accuracy`).
pub(crate) const METRICS_NAMESPACE: &str = "evaluate-metric";

/// `GET /api/metrics`: the metric Spaces (those of [`METRICS_NAMESPACE`]) the caller may see, as
/// `{id, spaceId, description}` with the description taken from the Space's card.
pub(super) async fn metrics(ctx: &mut Ctx) -> HubResult<Response> {
    let mut items = vec![];
    for repo in ctx.st.inner.repos.list(RepoType::Space).await? {
        if !repo.ns.eq_ignore_ascii_case(METRICS_NAMESPACE) || !ctx.can_read(&repo).await? {
            continue;
        }
        let reader = ctx.st.inner.repos.reader(&repo);
        let readme = crate::repo::blocking(&reader, |r| {
            let Some(head) = r.git.read_ref("refs/heads/main")? else {
                return Ok(String::new());
            };
            let c = r.commit(&head)?;
            r.file_text(&c.tree, "README.md")
        })
        .await
        .map_err(internal)?;
        let card = crate::card::parse(&readme);
        let description = card
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string);
        items.push(json!({"id": repo.name, "spaceId": repo.id(), "description": description}));
    }
    Ok(super::json(Value::Array(items)))
}
