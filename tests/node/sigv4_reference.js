#!/usr/bin/env node
// Independent SigV4 reference for tests/unit/sigv4_test.cc: signs one request with the AWS SDK for
// JavaScript v3 signer (@smithy/signature-v4, the one @aws-sdk/client-kinesis uses) and prints
// the Authorization header on stdout.
//
// stdin: {"method", "host", "path", "headers": {name: value}, "body", "accessKeyId",
//         "secretAccessKey", "sessionToken" (optional), "region", "service",
//         "isoTime": "2015-08-30T12:36:00Z", "applyChecksum" (optional, default false)}
// "host" becomes the Host header unless "headers" has one, as the SDK's host middleware does.
// applyChecksum defaults to false because our signer only adds x-amz-content-sha256 on request.
"use strict";

const { SignatureV4 } = require("@smithy/signature-v4");
const { Sha256 } = require("@smithy/core/checksum");
const { HttpRequest } = require("@smithy/core/protocols");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

  const headers = { ...(input.headers || {}) };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "host")) {
    headers.host = input.host;
  }
  const request = new HttpRequest({
    method: input.method,
    protocol: "https:",
    hostname: input.host,
    path: input.path || "/",
    headers,
    body: input.body,
  });
  const credentials = {
    accessKeyId: input.accessKeyId,
    secretAccessKey: input.secretAccessKey,
  };
  if (input.sessionToken) credentials.sessionToken = input.sessionToken;

  const signer = new SignatureV4({
    credentials,
    region: input.region,
    service: input.service,
    sha256: Sha256,
    applyChecksum: input.applyChecksum === true,
  });
  const signed = await signer.sign(request, { signingDate: new Date(input.isoTime) });
  const authorization = signed.headers.authorization;
  if (!authorization) throw new Error("the signer produced no authorization header");
  process.stdout.write(authorization + "\n");
}

main().catch((err) => {
  process.stderr.write(`sigv4_reference.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
