"""The ``stakeholder-digest`` flow in a real Prefect flow run (prefect_test_harness): the files, the artifact read
back through Prefect's client, and the summary POSTed to a real webhook on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.helpers import digest_world, webhook_url


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return digest_world(tmp_path_factory.mktemp("digest-flow"))


def _artifacts(flow_run_id):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a for a in found}


def test_digest_flow_writes_publishes_and_sends_the_summary_with_a_link(prefect_api, world, webhook, tmp_path):
    from gapgates.flows.digest import DIGEST_KEY, stakeholder_digest

    history, registry = world
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[notify]\nwebhook_url = "{webhook_url(webhook)}"\ntimeout = 10\n')
    url = "https://reports.example.invalid/digest/"
    state = stakeholder_digest(
        history=str(history),
        out=str(tmp_path / "out"),
        registries=[str(registry)],
        policy=str(policy),
        digest_url=url,
        return_state=True,
    )
    assert state.is_completed(), state.message
    result = state.result()
    assert result["notification"] == {"sent": True, "status": 200, "detail": ""}
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"digest.html", "digest.md", "digest.json"}
    link = "https://reports.example.invalid/digest/digest.html"
    artifacts = _artifacts(state.state_details.flow_run_id)
    summary = artifacts[DIGEST_KEY]
    assert summary.type == "markdown" and summary.data.startswith("# gapgates digest: 3 models, 10 gate runs")
    assert "- **fraud**: production v4 since" in summary.data and f"Full digest: [digest.html]({link})" in summary.data
    assert artifacts[f"{DIGEST_KEY}-html"].data == f"[digest.html]({link})"
    (posted,) = webhook.received
    assert posted["type"] == "application/json; charset=utf-8"
    assert posted["body"]["text"].startswith("# gapgates digest: 3 models") and f"Full digest: {link}" in posted["body"]["text"]
    assert "retrain advised: fraud" in posted["body"]["text"]


def test_without_a_webhook_or_url_the_artifact_shows_the_path_and_nothing_is_sent(prefect_api, world, webhook, tmp_path):
    from gapgates.flows.digest import DIGEST_KEY, stakeholder_digest

    out = tmp_path / "out"
    state = stakeholder_digest(history=str(world[0]), out=str(out), return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["notification"]["detail"] == "no webhook_url is configured" and webhook.received == []
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert set(artifacts) == {DIGEST_KEY}
    assert f"`{(out / 'digest.html').resolve()}` (set `digest_url`" in artifacts[DIGEST_KEY].data
    bad = stakeholder_digest(history=str(tmp_path / "none.sqlite"), out=str(out), return_state=True)
    assert bad.is_failed() and "No run history at" in bad.message
