// The credentials of one profile of the shared files, with everything a profile can say
// (docs/configuration.md, "Credentials"). In this order, the first that applies wins:
//   1. role_arn + source_profile: the source profile's credentials (resolved the same way, so
//      roles chain; a source_profile naming the profile itself uses its static keys, as botocore
//      does) -> STS AssumeRole with external_id, role_session_name, duration_seconds.
//      role_arn + credential_source = Environment | Ec2InstanceMetadata | EcsContainer: those
//      credentials -> AssumeRole. role_arn + web_identity_token_file -> AssumeRoleWithWebIdentity.
//   2. aws_access_key_id + aws_secret_access_key (the credentials file's section first).
//   3. credential_process.
// A profile visited twice while following source_profile is a cycle: FatalError listing it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aws/credentials_provider.h"
#include "aws/ini_file.h"

namespace ki {

struct SharedFiles {
  std::optional<IniFile> credentials;
  std::optional<IniFile> config;
  std::string credentials_name;  // the paths, for messages
  std::string config_name;
};

// nullopt when the profile exists but says nothing about credentials (or does not exist).
// `chain` holds the profiles already being resolved (source_profile), outermost first.
Result<std::optional<AwsCredentials>> ResolveProfileCredentials(const SharedFiles& files,
                                                                const std::string& profile,
                                                                const CredentialsContext& context,
                                                                const Environment& env,
                                                                std::vector<std::string>& chain);

}  // namespace ki
