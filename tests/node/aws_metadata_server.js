#!/usr/bin/env node
// Loopback stand-ins for the AWS endpoints the credentials chain talks to, for
// tests/integration/credential_chain_test.cc. One HTTP server on 127.0.0.1 answers like:
//   - the EC2 instance metadata service, IMDSv2 only: PUT /latest/api/token needs
//     X-aws-ec2-metadata-token-ttl-seconds; every GET under /latest/ without a valid
//     X-aws-ec2-metadata-token is refused with 401 (an IMDSv1 request), and counted;
//   - the ECS / EKS Pod Identity container endpoint: GET /container-credentials needs the
//     Authorization header to equal the expected token (config.containerToken, or the current
//     content of config.containerTokenFile, read on every request so rotation can be tested);
//   - STS (POST /, Query API, XML answers shaped like the real STS): AssumeRole, whose SigV4
//     Authorization is verified here with Node's crypto against config.secrets (an implementation
//     independent of the C++ signer), and AssumeRoleWithWebIdentity (unsigned).
// Access key ids are derived from what was asked (role, source key, token), so independent
// clients resolving the same environment get the same id: that is what the tests compare.
//
// Usage: node aws_metadata_server.js '<config JSON>'; prints {"port": N} on stdout once listening,
// then one JSON line per request handled ({"kind", "ok", ...}) on stdout. Exits when stdin closes.
// config: {secrets: {AKID: secret}, lifetimeSeconds (default 3600), imdsRotate (new key per
//          credentials GET), imdsRole (default "kinesis-import-test-role"), containerToken,
//          containerTokenFile, region (IMDS placement/region, default "eu-central-1"),
//          imdsRefuseToken (answer the token PUT with 403, as a metadata service without IMDSv2)}
"use strict";

const http = require("http");
const crypto = require("crypto");
const fs = require("fs");

const config = JSON.parse(process.argv[2] || "{}");
const lifetime = config.lifetimeSeconds || 3600;
const imdsRole = config.imdsRole || "kinesis-import-test-role";
const imdsTokens = new Set();
// Credentials this server handed out may sign the next AssumeRole (chained roles).
const issuedSecrets = {};
let imdsIssued = 0;

function tag(text) {
  return crypto.createHash("sha256").update(text).digest("hex").slice(0, 12).toUpperCase();
}
function expiration() {
  return new Date(Date.now() + lifetime * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}
function report(entry) {
  process.stdout.write(JSON.stringify(entry) + "\n");
}
function send(res, status, body, type) {
  res.writeHead(status, { "Content-Type": type || "text/plain" });
  res.end(body);
}
function credentialsJson(id) {
  return JSON.stringify({
    Code: "Success",
    LastUpdated: new Date().toISOString(),
    Type: "AWS-HMAC",
    AccessKeyId: id,
    SecretAccessKey: "secret-of-" + id,
    Token: "token-of-" + id,
    Expiration: expiration(),
  });
}

function handleImds(req, res) {
  if (req.method === "PUT" && req.url === "/latest/api/token") {
    const ttl = req.headers["x-aws-ec2-metadata-token-ttl-seconds"];
    if (config.imdsRefuseToken) {
      report({ kind: "imds-token", ok: false, refused: true });
      return send(res, 403, "");
    }
    if (!ttl || !/^\d+$/.test(ttl)) {
      report({ kind: "imds-token", ok: false });
      return send(res, 400, "missing X-aws-ec2-metadata-token-ttl-seconds");
    }
    const token = "imds-token-" + crypto.randomBytes(8).toString("hex");
    imdsTokens.add(token);
    report({ kind: "imds-token", ok: true, ttl: Number(ttl) });
    res.writeHead(200, { "Content-Type": "text/plain", "X-aws-ec2-metadata-token-ttl-seconds": ttl });
    return res.end(token);
  }
  if (!imdsTokens.has(req.headers["x-aws-ec2-metadata-token"])) {
    report({ kind: "imds-v1-refused", ok: false, path: req.url });
    return send(res, 401, "");
  }
  const base = "/latest/meta-data/iam/security-credentials/";
  if (req.url === base) return send(res, 200, imdsRole);
  if (req.url === base + imdsRole) {
    const id = "ASIAIMDS" + (config.imdsRotate ? String(++imdsIssued).padStart(6, "0") : tag(imdsRole));
    report({ kind: "imds-credentials", ok: true, accessKeyId: id });
    return send(res, 200, credentialsJson(id), "application/json");
  }
  if (req.url === "/latest/meta-data/placement/region") {
    return send(res, 200, config.region || "eu-central-1");
  }
  return send(res, 404, "");
}

function handleContainer(req, res) {
  let expected = config.containerToken;
  if (config.containerTokenFile) expected = fs.readFileSync(config.containerTokenFile, "utf8").trim();
  const got = req.headers.authorization;
  if (expected !== undefined && got !== expected) {
    report({ kind: "container", ok: false });
    return send(res, 401, JSON.stringify({ message: "bad authorization token" }), "application/json");
  }
  const id = "ASIACONT" + tag(String(got));
  report({ kind: "container", ok: true, accessKeyId: id });
  return send(res, 200, credentialsJson(id), "application/json");
}

// --- STS -------------------------------------------------------------------------------------

function hmac(key, text) {
  return crypto.createHmac("sha256", key).update(text, "utf8").digest();
}
function sha256Hex(text) {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}
// SigV4 verification written from the AWS documentation (canonical request, string to sign,
// derived key): returns {ok, accessKeyId, why}.
function verifySigV4(req, body) {
  const auth = req.headers.authorization || "";
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, why: "no SigV4 Authorization header" };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m;
  const secret = (config.secrets || {})[accessKeyId] ?? issuedSecrets[accessKeyId];
  if (secret === undefined) return { ok: false, accessKeyId, why: "unknown access key" };
  const amzDate = req.headers["x-amz-date"] || "";
  if (!amzDate.startsWith(date)) return { ok: false, accessKeyId, why: "X-Amz-Date does not match the scope" };
  const canonicalHeaders = signedHeaders
    .split(";")
    .map((name) => name + ":" + String(req.headers[name] ?? "").trim().replace(/\s+/g, " ") + "\n")
    .join("");
  const [path, query = ""] = req.url.split("?");
  const canonicalRequest = [req.method, path, query, canonicalHeaders, signedHeaders, sha256Hex(body)].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac("AWS4" + secret, date), region), service), "aws4_request");
  const expected = crypto.createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  if (expected !== signature) return { ok: false, accessKeyId, why: "signature does not match" };
  if (service !== "sts") return { ok: false, accessKeyId, why: "signed for service " + service };
  return { ok: true, accessKeyId, region };
}

function stsError(res, status, code, message) {
  send(res, status,
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
    `<Code>${code}</Code><Message>${message}</Message></Error>` +
    `<RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`, "text/xml");
}

function stsCredentials(res, action, id, roleArn, sessionName) {
  issuedSecrets[id] = "secret-of-" + id;
  send(res, 200,
    `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n` +
    `  <${action}Result>\n` +
    `    <Credentials>\n` +
    `      <AccessKeyId>${id}</AccessKeyId>\n` +
    `      <SecretAccessKey>secret-of-${id}</SecretAccessKey>\n` +
    `      <SessionToken>token-of-${id}</SessionToken>\n` +
    `      <Expiration>${expiration()}</Expiration>\n` +
    `    </Credentials>\n` +
    `    <AssumedRoleUser><Arn>${roleArn.replace(":role/", ":assumed-role/")}/${sessionName}</Arn>` +
    `<AssumedRoleId>AROA${tag(roleArn)}:${sessionName}</AssumedRoleId></AssumedRoleUser>\n` +
    `  </${action}Result>\n` +
    `  <ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata>\n` +
    `</${action}Response>\n`, "text/xml");
}

function handleSts(req, res, body) {
  const form = new URLSearchParams(body);
  const action = form.get("Action");
  const roleArn = form.get("RoleArn") || "";
  const sessionName = form.get("RoleSessionName") || "";
  if (!roleArn || !sessionName) return stsError(res, 400, "ValidationError", "RoleArn and RoleSessionName are required");
  if (action === "AssumeRole") {
    const v = verifySigV4(req, body);
    report({ kind: "sts-assume-role", ok: v.ok, why: v.why, signer: v.accessKeyId, roleArn,
             externalId: form.get("ExternalId"), durationSeconds: form.get("DurationSeconds"), sessionName });
    if (!v.ok) return stsError(res, 403, "SignatureDoesNotMatch", v.why);
    const id = "ASIAROLE" + tag(roleArn + "|" + v.accessKeyId + "|" + (form.get("ExternalId") || ""));
    return stsCredentials(res, action, id, roleArn, sessionName);
  }
  if (action === "AssumeRoleWithWebIdentity") {
    const token = form.get("WebIdentityToken") || "";
    const signed = Boolean(req.headers.authorization);
    report({ kind: "sts-web-identity", ok: Boolean(token), signed, roleArn, sessionName });
    if (!token) return stsError(res, 400, "InvalidIdentityToken", "no token");
    const id = "ASIAWEBI" + tag(roleArn + "|" + token);
    return stsCredentials(res, action, id, roleArn, sessionName);
  }
  return stsError(res, 400, "InvalidAction", "unsupported action");
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      if (req.url.startsWith("/latest/")) return handleImds(req, res);
      if (req.url.startsWith("/container-credentials")) return handleContainer(req, res);
      if (req.method === "POST" && req.url.split("?")[0] === "/") return handleSts(req, res, body);
      send(res, 404, "");
    } catch (e) {
      send(res, 500, String(e));
    }
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
