#!/usr/bin/env node
// Independent credential resolution for tests/integration/credential_chain_test.cc: resolves the
// current environment with the AWS SDK for JavaScript v3's providers (@aws-sdk/credential-providers)
// and prints {"accessKeyId", "expiration"} on stdout (never the secret). STS calls go to
// AWS_ENDPOINT_URL_STS when it is set (passed as the STS client's endpoint as well).
// Usage: node resolve_credentials.js chain|ini|imds|container|container-http|web-identity|process [profile]
"use strict";

const providers = require("@aws-sdk/credential-providers");

async function main() {
  const [which, profile] = process.argv.slice(2);
  const clientConfig = {};
  if (process.env.AWS_ENDPOINT_URL_STS) clientConfig.endpoint = process.env.AWS_ENDPOINT_URL_STS;
  if (process.env.AWS_REGION) clientConfig.region = process.env.AWS_REGION;
  const options = { clientConfig, timeout: 1000, maxRetries: 0 };
  if (profile) options.profile = profile;
  const make = {
    chain: () => providers.fromNodeProviderChain(options),
    ini: () => providers.fromIni(options),
    imds: () => providers.fromInstanceMetadata(options),
    container: () => providers.fromContainerMetadata(options),
    // fromHttp is the chain's container provider; unlike fromContainerMetadata it reads
    // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
    "container-http": () => providers.fromHttp(options),
    "web-identity": () => providers.fromTokenFile(options),
    process: () => providers.fromProcess(options),
  }[which];
  if (!make) throw new Error("unknown provider " + which);
  const creds = await make()();
  process.stdout.write(JSON.stringify({
    accessKeyId: creds.accessKeyId,
    expiration: creds.expiration ? creds.expiration.toISOString() : null,
  }) + "\n");
}

main().catch((e) => {
  process.stderr.write("resolve_credentials: " + (e && e.message ? e.message : String(e)) + "\n");
  process.exit(1);
});
