"""Repository CRUD, visibility, listing with pagination, typed errors, move and delete."""

from huggingface_hub import hf_hub_download

from hubtest import (
    ENDPOINT,
    IS_026,
    hf_errors,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    api,
    check,
    check_eq,
    emit,
    env,
    raises,
)

ns = env("NS")
org = env("ORG")
prefix = env("PREFIX")
bob = api(env("BOB_TOKEN"))
reader = api(env("READ_TOKEN"))
anon = api(False)
hf = api()
out = {}

# --- whoami -------------------------------------------------------------------------------------
me = hf.whoami()
out["whoami"] = {"name": me["name"], "orgs": sorted(o["name"] for o in me.get("orgs", []))}
out["whoami_read_role"] = reader.whoami()["auth"]["accessToken"]["role"]
out["whoami_invalid_token"] = raises(Exception, api("hf_not_a_valid_token").whoami)["type"]

# --- create: every type, private, org namespace, exist_ok --------------------------------------
model = f"{ns}/{prefix}-model"
url = hf.create_repo(model)
check_eq(str(url), f"{ENDPOINT}/{model}", "model repo url")
out["model_url"] = str(url)
out["model_repo_id"] = url.repo_id

dataset = f"{ns}/{prefix}-dataset"
url = hf.create_repo(dataset, repo_type="dataset")
check_eq(str(url), f"{ENDPOINT}/datasets/{dataset}", "dataset repo url")
check_eq(url.repo_type, "dataset", "dataset url type")

space = f"{ns}/{prefix}-space"
url = hf.create_repo(space, repo_type="space", space_sdk="static")
check_eq(str(url), f"{ENDPOINT}/spaces/{space}", "space repo url")

# exist_ok=True swallows the 409 and still returns the URL; without it, 409 surfaces.
url = hf.create_repo(model, exist_ok=True)
check_eq(str(url), f"{ENDPOINT}/{model}", "exist_ok url")
out["duplicate_create"] = raises(HfHubHTTPError, hf.create_repo, model)

private = f"{ns}/{prefix}-private"
hf.create_repo(private, private=True)
org_repo = f"{org}/{prefix}-orgmodel"
hf.create_repo(org_repo)

# A fresh repo has an initial commit with a default .gitattributes tracking *.bin via LFS.
files = hf.list_repo_files(model)
check(".gitattributes" in files, f"fresh repo files: {files}")
out["fresh_files"] = sorted(files)
info = hf.model_info(model)
check_eq(len(info.sha), 40, "sha length")
out["model_private"] = info.private
out["dataset_id"] = hf.dataset_info(dataset).id
out["space_id"] = hf.space_info(space).id
out["space_sdk"] = hf.space_info(space).sdk
out["fresh_commits"] = len(hf.list_repo_commits(model))

# bob may not create repos in alice's org.
out["bob_create_in_org"] = raises(HfHubHTTPError, bob.create_repo, f"{org}/{prefix}-bob")

out["repo_exists"] = [hf.repo_exists(model), hf.repo_exists(f"{ns}/{prefix}-nope")]
out["revision_exists"] = [hf.revision_exists(model, "main"), hf.revision_exists(model, "nope")]
out["file_exists"] = [hf.file_exists(model, ".gitattributes"), hf.file_exists(model, "nope.txt")]

# --- visibility ---------------------------------------------------------------------------------
check_eq(hf.model_info(private).private, True, "private flag")
check_eq(reader.model_info(private).id, private, "read token sees private repo")
out["bob_private_info"] = raises(RepositoryNotFoundError, bob.model_info, private)
out["anon_private_info"] = raises(RepositoryNotFoundError, anon.model_info, private)
out["bob_private_download"] = raises(
    RepositoryNotFoundError,
    hf_hub_download,
    private,
    ".gitattributes",
    token=env("BOB_TOKEN"),
    cache_dir=env("WORK") + "/bob-cache",
)
# The read-only token cannot write.
out["read_token_create"] = raises(HfHubHTTPError, reader.create_repo, f"{ns}/{prefix}-ro")

# Visibility can be switched; repo info reflects it.
hf.update_repo_settings(private, private=False)
check_eq(bob.model_info(private).private, False, "made public")
hf.update_repo_settings(private, private=True)
raises(RepositoryNotFoundError, bob.model_info, private)

# --- gated repos: metadata stays public, files need access ---------------------------------------
gated = f"{ns}/{prefix}-gated"
hf.create_repo(gated)
hf.update_repo_settings(gated, gated="manual")
out["gated_seen_by_bob"] = bob.model_info(gated).gated
out["bob_gated_download"] = raises(
    hf_errors.GatedRepoError,
    hf_hub_download,
    gated,
    ".gitattributes",
    token=env("BOB_TOKEN"),
    cache_dir=env("WORK") + "/bob-gated",
)
hf_hub_download(gated, ".gitattributes", cache_dir=env("WORK") + "/alice-gated")
hf.update_repo_settings(gated, gated=False)
out["gated_after_reset"] = bob.model_info(gated).gated

# --- listing with pagination (the server runs with a tiny page size) -----------------------------
paged = [f"{ns}/{prefix}-page{i}" for i in range(5)]
for r in paged:
    hf.create_repo(r)
mine = sorted(m.id for m in hf.list_models(author=ns))
bobs_view = sorted(m.id for m in bob.list_models(author=ns))
out["alice_lists"] = mine
out["bob_lists"] = bobs_view
for r in paged + [model]:
    check(r in mine, f"{r} missing from alice's listing {mine}")
    check(r in bobs_view, f"{r} missing from bob's listing {bobs_view}")
check(private not in bobs_view, "bob must not list alice's private repo")
out["limited"] = len(list(hf.list_models(author=ns, limit=3)))
out["searched"] = sorted(m.id for m in hf.list_models(search=f"{prefix}-page"))
# 2.x has no `direction` (always descending).
desc = {"direction": -1} if IS_026 else {}
out["sorted_desc"] = [m.id for m in hf.list_models(author=ns, search=f"{prefix}-page", sort="lastModified", **desc)]
out["datasets_listed"] = [d.id for d in hf.list_datasets(author=ns)]
out["spaces_listed"] = [s.id for s in hf.list_spaces(author=ns)]

# --- typed errors -------------------------------------------------------------------------------
out["missing_repo"] = raises(RepositoryNotFoundError, hf.model_info, f"{ns}/{prefix}-nope")
out["missing_revision"] = raises(RevisionNotFoundError, hf.model_info, model, revision="nope")
out["missing_dataset_as_model"] = raises(RepositoryNotFoundError, hf.model_info, dataset)

# --- move and delete ----------------------------------------------------------------------------
hf.upload_file(path_or_fileobj=b"before the move\n", path_in_repo="moved.txt", repo_id=model)
moved = f"{ns}/{prefix}-moved"
hf.move_repo(model, moved)
check_eq(hf.model_info(moved).id, moved, "moved repo id")
# The old name redirects (relative Location) for file downloads.
old_name_download = hf_hub_download(model, "moved.txt", cache_dir=env("WORK") + "/moved-cache")
with open(old_name_download, "rb") as f:
    out["download_via_old_name"] = f.read().decode()
out["moved_files"] = sorted(hf.list_repo_files(moved))
out["move_onto_existing"] = raises(HfHubHTTPError, hf.move_repo, paged[0], moved)

hf.delete_repo(moved)
out["deleted_info"] = raises(RepositoryNotFoundError, hf.model_info, moved)
out["delete_missing"] = raises(RepositoryNotFoundError, hf.delete_repo, moved)
hf.delete_repo(moved, missing_ok=True)
hf.delete_repo(dataset, repo_type="dataset")
out["deleted_dataset"] = raises(RepositoryNotFoundError, hf.dataset_info, dataset)
# Name is free again after deletion.
hf.create_repo(moved)
out["recreated_commits"] = len(hf.list_repo_commits(moved))

emit(out)
