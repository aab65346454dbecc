// Tests for region and endpoint resolution. A fresh temporary HOME and a MapEnvironment per test.
#include <gtest/gtest.h>

#include "temp_home.h"
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "aws/aws_config.h"
#include "aws/environment.h"

namespace ki {
namespace {

using TempHome = ki::testing_support::TempHome;

class RegionTest : public ::testing::Test {
 protected:
  RegionTest() {
    env_.Set("HOME", home_.path());
    home_.Write(".aws/config",
                "[default]\nregion = eu-west-1\n"
                "[profile dev]\nregion = ap-southeast-2\n"
                "[profile noregion]\noutput = json\n"
                "[staging]\nregion = sa-east-1\n");
  }
  TempHome home_;
  MapEnvironment env_;
};

TEST_F(RegionTest, FlagBeatsEverything) {
  env_.Set("AWS_REGION", "us-east-1");
  env_.Set("AWS_DEFAULT_REGION", "us-east-2");
  auto region = ResolveRegion("ca-central-1", "dev", env_);
  ASSERT_TRUE(region.ok()) << region.status().message();
  EXPECT_EQ(*region, "ca-central-1");
}

TEST_F(RegionTest, AwsRegionBeatsAwsDefaultRegionAndProfile) {
  env_.Set("AWS_REGION", "us-east-1");
  env_.Set("AWS_DEFAULT_REGION", "us-east-2");
  EXPECT_EQ(*ResolveRegion("", "dev", env_), "us-east-1");
}

TEST_F(RegionTest, AwsDefaultRegionBeatsProfile) {
  env_.Set("AWS_DEFAULT_REGION", "us-east-2");
  EXPECT_EQ(*ResolveRegion("", "dev", env_), "us-east-2");
  // An empty AWS_REGION counts as unset.
  env_.Set("AWS_REGION", "");
  EXPECT_EQ(*ResolveRegion("", "", env_), "us-east-2");
}

TEST_F(RegionTest, ProfileRegionFromConfigFile) {
  EXPECT_EQ(*ResolveRegion("", "", env_), "eu-west-1");          // [default]
  EXPECT_EQ(*ResolveRegion("", "dev", env_), "ap-southeast-2");  // [profile dev] via --profile
  env_.Set("AWS_PROFILE", "dev");
  EXPECT_EQ(*ResolveRegion("", "", env_), "ap-southeast-2");  // via AWS_PROFILE
  EXPECT_EQ(*ResolveRegion("", "default", env_), "eu-west-1");  // --profile beats AWS_PROFILE
}

TEST_F(RegionTest, ConfigFileLocationCanBeOverridden) {
  std::string other = home_.Write("other/config", "[default]\nregion = me-south-1\n");
  env_.Set("AWS_CONFIG_FILE", other);
  EXPECT_EQ(*ResolveRegion("", "", env_), "me-south-1");
}

TEST_F(RegionTest, NoRegionErrorExplainsWhatToDo) {
  for (const std::string profile : {"noregion"}) {
    auto region = ResolveRegion("", profile, env_);
    ASSERT_FALSE(region.ok()) << profile;
    EXPECT_EQ(region.status().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(region.status().message().rfind("no region: use --region or set AWS_REGION", 0), 0u)
        << region.status().message();
    EXPECT_NE(region.status().message().find("'" + profile + "'"), std::string::npos)
        << region.status().message();
  }
  MapEnvironment no_home;
  auto region = ResolveRegion("", "", no_home);
  ASSERT_FALSE(region.ok());
  EXPECT_NE(region.status().message().find("HOME is not set"), std::string::npos);
}

// Issue 8 case 9: a profile the user named that exists in neither file is the error, not the
// region that could not come from it.
TEST_F(RegionTest, ExplicitProfileInNeitherFileIsReportedAsNotFound) {
  auto region = ResolveRegion("", "absent", env_);
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.status().kind(), ErrorKind::kNotFound);
  const std::string& m = region.status().message();
  EXPECT_EQ(m.rfind("profile 'absent' (from --profile) not found in ", 0), 0u) << m;
  EXPECT_NE(m.find("/.aws/credentials"), std::string::npos) << m;
  EXPECT_NE(m.find("/.aws/config"), std::string::npos) << m;
  EXPECT_EQ(m.find("no region"), std::string::npos) << m;
  // A plain [staging] in the config file is not the profile staging; the message says so.
  auto plain = ResolveRegion("", "staging", env_);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(plain.status().message().find("write [profile staging]"), std::string::npos) << plain.status().message();
  // From AWS_PROFILE it is named as such.
  env_.Set("AWS_PROFILE", "absent-too");
  auto from_env = ResolveRegion("", "", env_);
  ASSERT_FALSE(from_env.ok());
  EXPECT_NE(from_env.status().message().find("profile 'absent-too' (from AWS_PROFILE) not found"), std::string::npos)
      << from_env.status().message();
}

TEST_F(RegionTest, InvalidRegionNamesAreRejectedWithTheirSource) {
  auto upper = ResolveRegion("US-EAST-1", "", env_);
  ASSERT_FALSE(upper.ok());
  EXPECT_NE(upper.status().message().find("from --region"), std::string::npos);
  env_.Set("AWS_REGION", "us-east-1/evil");
  auto slash = ResolveRegion("", "", env_);
  ASSERT_FALSE(slash.ok());
  EXPECT_NE(slash.status().message().find("from AWS_REGION"), std::string::npos);
}

// --- Endpoint ----------------------------------------------------------------------------------

TEST(EndpointTest, FlagBeatsServiceVariableBeatsGlobalVariableBeatsDefault) {
  MapEnvironment env(std::map<std::string, std::string>{{"AWS_ENDPOINT_URL_KINESIS", "http://kinesis-local:4567"},
                      {"AWS_ENDPOINT_URL", "http://localstack:4566"}});
  EXPECT_EQ(*ResolveEndpoint("https://flag.example:8443", "us-east-1", env),
            "https://flag.example:8443");
  EXPECT_EQ(*ResolveEndpoint("", "us-east-1", env), "http://kinesis-local:4567");
  env.Unset("AWS_ENDPOINT_URL_KINESIS");
  EXPECT_EQ(*ResolveEndpoint("", "us-east-1", env), "http://localstack:4566");
  env.Unset("AWS_ENDPOINT_URL");
  EXPECT_EQ(*ResolveEndpoint("", "us-east-1", env), "https://kinesis.us-east-1.amazonaws.com");
}

TEST(EndpointTest, ChinaRegionsUseTheChinaPartition) {
  MapEnvironment env;
  EXPECT_EQ(*ResolveEndpoint("", "cn-north-1", env), "https://kinesis.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(*ResolveEndpoint("", "cn-northwest-1", env),
            "https://kinesis.cn-northwest-1.amazonaws.com.cn");
  EXPECT_EQ(*ResolveEndpoint("", "eu-central-1", env),
            "https://kinesis.eu-central-1.amazonaws.com");
}

TEST(EndpointTest, IgnoreConfiguredEndpointUrlsSkipsVariablesButNotTheFlag) {
  MapEnvironment env(std::map<std::string, std::string>{{"AWS_ENDPOINT_URL", "http://localstack:4566"},
                      {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}});
  EXPECT_EQ(*ResolveEndpoint("", "us-west-2", env), "https://kinesis.us-west-2.amazonaws.com");
  EXPECT_EQ(*ResolveEndpoint("http://x:1", "us-west-2", env), "http://x:1");
}

TEST(EndpointTest, TrailingSlashesAreRemovedAndPathsKept) {
  MapEnvironment env;
  EXPECT_EQ(*ResolveEndpoint("http://localhost:4566/", "us-east-1", env), "http://localhost:4566");
  EXPECT_EQ(*ResolveEndpoint("https://proxy.example/kinesis//", "us-east-1", env),
            "https://proxy.example/kinesis");
  EXPECT_EQ(*ResolveEndpoint("HTTP://[::1]:4567", "us-east-1", env), "HTTP://[::1]:4567");
}

TEST(EndpointTest, InvalidUrlsAreRejectedNamingTheirSource) {
  MapEnvironment env;
  for (const char* url :
       {"localhost:4566", "ftp://host", "http://", "http:///path", "http://host:", "http://host:abc",
        "http://host:70000", "http://host?x=1", "http://ho st", "http://[::1"}) {
    auto endpoint = ResolveEndpoint(url, "us-east-1", env);
    ASSERT_FALSE(endpoint.ok()) << url;
    EXPECT_EQ(endpoint.status().kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(endpoint.status().message().find("--endpoint-url"), std::string::npos)
        << endpoint.status().message();
  }
  env.Set("AWS_ENDPOINT_URL_KINESIS", "kinesis.local");
  auto from_env = ResolveEndpoint("", "us-east-1", env);
  ASSERT_FALSE(from_env.ok());
  EXPECT_NE(from_env.status().message().find("AWS_ENDPOINT_URL_KINESIS"), std::string::npos);
}

TEST(EndpointTest, UserInfoIsRejectedWithoutEchoingIt) {
  MapEnvironment env;
  auto endpoint = ResolveEndpoint("https://user:hunter2@host", "us-east-1", env);
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.status().message().find("hunter2"), std::string::npos)
      << endpoint.status().message();
}

TEST(EndpointTest, DefaultNeedsAValidRegion) {
  MapEnvironment env;
  EXPECT_FALSE(ResolveEndpoint("", "", env).ok());
  EXPECT_FALSE(ResolveEndpoint("", "evil.com/x", env).ok());
}

}  // namespace
}  // namespace ki
