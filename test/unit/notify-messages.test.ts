// What notices say: the SES v2 request body, the Slack payload, link and masking rules (pure functions).
import { describe, expect, it } from "vitest";
import { maskWebhookUrl } from "../../src/notify/channels";
import { sesSendEmailBody, sesSendUrl, sesSettings } from "../../src/notify/email";
import { dashboardLink, noticeText, type Notice } from "../../src/notify/notice";
import { slackPayload } from "../../src/notify/slack";

const disabled: Notice = {
  kind: "endpoint.disabled",
  endpointId: "ep_01m8mtehdcvk8rznv5gg4jntat",
  details: {
    endpoint_url: "https://acme.test/hook",
    owner_id: "acme",
    consecutive_failures: 20,
    failing_since: Date.parse("2026-11-29T20:00:00.000Z"),
    last_status_code: 503,
    last_error: "HTTP 503",
    disabled_reason: "consecutive_failures",
  },
  link: dashboardLink("https://hookrelay.example/", "ep_01m8mtehdcvk8rznv5gg4jntat"),
};

describe("notices", () => {
  it("links to the endpoint's dashboard page (hash route) and to nothing without a base", () => {
    expect(disabled.link).toBe("https://hookrelay.example/#/endpoints/ep_01m8mtehdcvk8rznv5gg4jntat");
    expect(dashboardLink(undefined, "ep_x")).toBeNull();
    expect(dashboardLink("http://127.0.0.1:8787", null)).toBe("http://127.0.0.1:8787/");
  });

  it("builds an SES v2 SendEmail body with subject, text and HTML naming endpoint, owner, count, last status and error", () => {
    const body = sesSendEmailBody("hookrelay@example.test", ["ops@acme.test"], disabled);
    expect(body.FromEmailAddress).toBe("hookrelay@example.test");
    expect(body.Destination.ToAddresses).toEqual(["ops@acme.test"]);
    const { Subject, Body } = body.Content.Simple;
    expect(Subject.Data).toContain("disabled after 20 consecutive failures");
    for (const part of [Body.Text.Data, Body.Html.Data]) {
      for (const fact of ["ep_01m8mtehdcvk8rznv5gg4jntat", "acme", "20", "503", "HTTP 503", disabled.link!]) expect(part).toContain(fact);
    }
    const gone = sesSendEmailBody("f@x.test", ["t@x.test"], { ...disabled, details: { ...disabled.details!, disabled_reason: "gone_410" } });
    expect(gone.Content.Simple.Subject.Data).toContain("410 Gone");
  });

  it("escapes HTML in the email body", () => {
    const body = sesSendEmailBody("f@x.test", ["t@x.test"], { ...disabled, details: { ...disabled.details!, last_error: "<script>x</script>" } });
    expect(body.Content.Simple.Body.Html.Data).not.toContain("<script>");
    expect(body.Content.Simple.Body.Html.Data).toContain("&lt;script&gt;");
  });

  it("targets SES_ENDPOINT when set, else the regional AWS endpoint; reports missing settings", () => {
    expect(sesSendUrl({ region: "eu-west-1" })).toBe("https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails");
    expect(sesSendUrl({ region: "us-east-1", endpoint: "http://127.0.0.1:8005/" })).toBe("http://127.0.0.1:8005/v2/email/outbound-emails");
    expect(sesSettings({ region: "us-east-1", from: "a@b.test" })).toEqual({
      error: "email is not configured: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY unset",
    });
  });

  it("builds a Slack payload: fallback text plus header, summary, facts and a dashboard button", () => {
    const payload = slackPayload(disabled);
    expect(payload.text).toBe(noticeText(disabled));
    const blocks = payload.blocks as any[];
    expect(blocks.map((b) => b.type)).toEqual(["header", "section", "section", "actions"]);
    expect(blocks[0].text.text.length).toBeLessThanOrEqual(150);
    const fields = blocks[2].fields.map((f: any) => f.text).join("\n");
    for (const fact of ["*Endpoint*", "*Owner*\nacme", "*Consecutive failures*\n20", "*Last status*\n503", "*Last error*\nHTTP 503"]) {
      expect(fields).toContain(fact);
    }
    expect(blocks[2].fields.length).toBeLessThanOrEqual(10);
    expect(blocks[3].elements[0].url).toBe(disabled.link);
    const test = slackPayload({ kind: "test", endpointId: null, details: null, link: null }).blocks as any[];
    expect(test.map((b) => b.type)).toEqual(["header", "section"]);
  });

  it("masks Slack webhook URLs, keeping only origin, first segment and the last four characters", () => {
    expect(maskWebhookUrl("https://hooks.slack.com/services/T000/B000/XXXXabcd")).toBe("https://hooks.slack.com/services/****abcd");
    expect(maskWebhookUrl("not a url")).toBe("****");
  });
});
