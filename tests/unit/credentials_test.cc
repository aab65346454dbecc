// Tests for the credentials chain, the shared-file INI reader and the connections file.
// Every test gets a fresh temporary HOME and a MapEnvironment; the real environment is never read.
#include <gtest/gtest.h>

#include "temp_home.h"
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/credentials_provider.h"
#include "aws/environment.h"
#include "aws/ini_file.h"

namespace ki {
namespace {

// Distinctive secrets, so "does not appear in any message" is a meaningful check.
constexpr char kEnvKey[] = "AKIAENVENVENV";
constexpr char kEnvSecret[] = "envSecretDoNotPrint/abc+123";
constexpr char kFileKey[] = "AKIAFILEFILE";
constexpr char kFileSecret[] = "fileSecretDoNotPrint/xyz";
constexpr char kConnSecret[] = "connSecretDoNotPrint/q==";

using TempHome = ki::testing_support::TempHome;

class CredentialsTestBase : public ::testing::Test {
 protected:
  CredentialsTestBase() { env_.Set("HOME", home_.path()); }

  void SetEnvCredentials() {
    env_.Set("AWS_ACCESS_KEY_ID", kEnvKey);
    env_.Set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  }
  void WriteDefaultCredentialsFile() {
    home_.Write(".aws/credentials", std::string("[default]\naws_access_key_id = ") + kFileKey +
                                        "\naws_secret_access_key = " + kFileSecret + "\n");
  }
  Result<AwsCredentials> Resolve(const CredentialOptions& options = {}) {
    return DefaultCredentialsChain(options, env_).Resolve();
  }

  TempHome home_;
  MapEnvironment env_;
};

CredentialOptions WithConnection(const std::string& name, const std::string& file = "") {
  CredentialOptions options;
  options.connection_name = name;
  options.connections_file = file;
  return options;
}

CredentialOptions WithProfile(const std::string& profile) {
  CredentialOptions options;
  options.profile = profile;
  return options;
}

void ExpectNoSecrets(const std::string& message) {
  for (const char* secret : {kEnvSecret, kFileSecret, kConnSecret}) {
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
}

// --- IniFile -----------------------------------------------------------------------------------

TEST(IniFileTest, ParsesSectionsKeysCommentsAndWhitespace) {
  auto ini = IniFile::Parse(
      "# comment\n"
      "; another comment\n"
      "\n"
      "[default]\n"
      "  aws_access_key_id   =   AKIA1  \n"
      "region=eu-west-1\n"
      "[ profile dev ]   # trailing comment\n"
      "region = us-east-2\n",
      "test");
  ASSERT_TRUE(ini.ok()) << ini.status().message();
  EXPECT_EQ(ini->SectionNames(), (std::vector<std::string>{"default", "profile dev"}));
  const IniFile::Section* def = ini->FindSection("default");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(def->at("aws_access_key_id"), "AKIA1");
  EXPECT_EQ(def->at("region"), "eu-west-1");
  ASSERT_NE(ini->FindSection("profile dev"), nullptr);
  EXPECT_EQ(ini->FindSection("profile dev")->at("region"), "us-east-2");
  EXPECT_EQ(ini->FindSection("dev"), nullptr);
}

TEST(IniFileTest, KeysAreCaseSensitiveAndValuesAreLiteral) {
  auto ini = IniFile::Parse("[p]\nAWS_ACCESS_KEY_ID = upper\nkey = a # not a comment\nt = x=y==\n",
                            "test");
  ASSERT_TRUE(ini.ok());
  const IniFile::Section* p = ini->FindSection("p");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->count("aws_access_key_id"), 0u);
  EXPECT_EQ(p->at("AWS_ACCESS_KEY_ID"), "upper");
  EXPECT_EQ(p->at("key"), "a # not a comment");
  EXPECT_EQ(p->at("t"), "x=y==");  // split at the first '=' only
}

TEST(IniFileTest, IgnoresNestedSubsections) {
  auto ini = IniFile::Parse(
      "[profile dev]\n"
      "s3 =\n"
      "    max_concurrent_requests = 20\n"
      "    region = nested-must-be-ignored\n"
      "region = us-west-2\n"
      "[profile other]\n"
      "  region = ap-south-1\n"
      "  output = json\n",
      "test");
  ASSERT_TRUE(ini.ok()) << ini.status().message();
  const IniFile::Section* dev = ini->FindSection("profile dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->at("region"), "us-west-2");
  EXPECT_EQ(dev->count("max_concurrent_requests"), 0u);
  EXPECT_EQ(dev->at("s3"), "");
  // Keys indented at the same level are ordinary keys, not nested.
  const IniFile::Section* other = ini->FindSection("profile other");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->at("region"), "ap-south-1");
  EXPECT_EQ(other->at("output"), "json");
}

TEST(IniFileTest, HandlesCrlfAndByteOrderMark) {
  auto ini = IniFile::Parse("\xEF\xBB\xBF[default]\r\nregion = eu-north-1\r\n", "test");
  ASSERT_TRUE(ini.ok());
  ASSERT_NE(ini->FindSection("default"), nullptr);
  EXPECT_EQ(ini->FindSection("default")->at("region"), "eu-north-1");
}

TEST(IniFileTest, MalformedLineNamesFileAndLineWithoutEchoingIt) {
  auto ini = IniFile::Parse("[default]\naws_access_key_id = A\nfileSecretDoNotPrint/xyz\n",
                            "/x/credentials");
  ASSERT_FALSE(ini.ok());
  EXPECT_EQ(ini.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(ini.status().message().find("/x/credentials line 3"), std::string::npos)
      << ini.status().message();
  ExpectNoSecrets(ini.status().message());
}

TEST(IniFileTest, RejectsKeyBeforeFirstSectionAndBrokenHeaders) {
  EXPECT_FALSE(IniFile::Parse("region = x\n[default]\n", "t").ok());
  EXPECT_FALSE(IniFile::Parse("[default\n", "t").ok());
  EXPECT_FALSE(IniFile::Parse("[]\n", "t").ok());
  EXPECT_FALSE(IniFile::Parse("[a] junk\n", "t").ok());
  EXPECT_FALSE(IniFile::Parse("[a]\n= value\n", "t").ok());
}

TEST(IniFileTest, LoadIfExistsDistinguishesMissingFromPresent) {
  TempHome home;
  auto missing = IniFile::LoadIfExists(home.path() + "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  std::string path = home.Write("cfg", "[a]\nk = v\n");
  auto present = IniFile::LoadIfExists(path);
  ASSERT_TRUE(present.ok());
  ASSERT_TRUE(present->has_value());
  EXPECT_NE((*present)->FindSection("a"), nullptr);

  auto directory = IniFile::LoadIfExists(home.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().kind(), ErrorKind::kIo);
}

// --- Connection values -----------------------------------------------------------------------

TEST(ConnectionValueTest, ParsesWithAndWithoutSessionToken) {
  auto without = ParseConnectionValue("AWS_ACCESS_KEY=AKIA1;AWS_SECRET_KEY=s3cr3t", "C");
  ASSERT_TRUE(without.ok()) << without.status().message();
  EXPECT_EQ(without->access_key_id, "AKIA1");
  EXPECT_EQ(without->secret_access_key, "s3cr3t");
  EXPECT_EQ(without->session_token, "");

  auto with = ParseConnectionValue(
      "AWS_ACCESS_KEY=AKIA1;AWS_SECRET_KEY=s3cr3t;AWS_SESSION_TOKEN=tok/en==", "C");
  ASSERT_TRUE(with.ok()) << with.status().message();
  EXPECT_EQ(with->session_token, "tok/en==");
}

TEST(ConnectionValueTest, TrimsSpacesIgnoresKeyCaseAndEmptyParts) {
  auto creds = ParseConnectionValue(
      "  aws_access_key = AKIA2 ;  Aws_Secret_Key=  a+b/c=  ; aws_session_token = t ; ", "C");
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, "AKIA2");
  EXPECT_EQ(creds->secret_access_key, "a+b/c=");  // '=' inside a value is kept
  EXPECT_EQ(creds->session_token, "t");
}

TEST(ConnectionValueTest, MissingKeyNamesConnectionAndKeyButNotValues) {
  auto no_secret = ParseConnectionValue(std::string("AWS_ACCESS_KEY=AKIAVISIBLE"), "MY_CONN");
  ASSERT_FALSE(no_secret.ok());
  EXPECT_EQ(no_secret.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(no_secret.status().message().find("MY_CONN"), std::string::npos);
  EXPECT_NE(no_secret.status().message().find("missing AWS_SECRET_KEY"), std::string::npos);
  EXPECT_EQ(no_secret.status().message().find("AKIAVISIBLE"), std::string::npos);

  auto no_key = ParseConnectionValue(std::string("AWS_SECRET_KEY=") + kConnSecret, "MY_CONN");
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.status().message().find("missing AWS_ACCESS_KEY"), std::string::npos);
  ExpectNoSecrets(no_key.status().message());
}

TEST(ConnectionValueTest, MalformedPartsAreErrorsThatDoNotLeakValues) {
  const std::string secret = kConnSecret;
  for (const std::string& value : std::vector<std::string>{
           "AWS_ACCESS_KEY=A;" + secret,                         // part without '='
           "AWS_ACCESS_KEY=A;AWS_SECRET_KEY=" + secret + ";AWS_SECRET_KEY=" + secret,  // twice
           "AWS_ACCESS_KEY=A;AWS_SECRET_KEY=",                   // empty
           "AWS_ACCESS_KEY=A;AWS_SECRET_KEY=" + secret + ";AWS_SESION_TOKEN=x",  // typo
           "AWS_ACCESS_KEY=A;" + secret + "=" + secret,          // secret pasted as a key
       }) {
    auto creds = ParseConnectionValue(value, "C1");
    ASSERT_FALSE(creds.ok()) << value;
    EXPECT_NE(creds.status().message().find("connection 'C1'"), std::string::npos);
    ExpectNoSecrets(creds.status().message());
  }
  auto typo = ParseConnectionValue("AWS_ACCESS_KEY=A;AWS_SECRET_KEY=b;AWS_SESION_TOKEN=x", "C1");
  EXPECT_NE(typo.status().message().find("unknown key 'AWS_SESION_TOKEN'"), std::string::npos)
      << typo.status().message();
}

// --- Connections file ------------------------------------------------------------------------

TEST(ConnectionsFileTest, ParsesLinesAndLooksUpNamesCaseInsensitively) {
  auto file = ConnectionsFile::Parse(
      "# seeded from Exasol\n"
      "\n"
      "  Prod_Kinesis  =  AWS_ACCESS_KEY=AKIAPROD;AWS_SECRET_KEY=p=1  \n"
      "DEV = AWS_ACCESS_KEY=AKIADEV;AWS_SECRET_KEY=d;AWS_SESSION_TOKEN=tok\n",
      "/etc/conns");
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->Names(), (std::vector<std::string>{"Prod_Kinesis", "DEV"}));

  auto prod = file->Lookup("PROD_KINESIS");
  ASSERT_TRUE(prod.ok()) << prod.status().message();
  EXPECT_EQ(prod->access_key_id, "AKIAPROD");
  EXPECT_EQ(prod->secret_access_key, "p=1");
  EXPECT_EQ(prod->source, "connection 'Prod_Kinesis' in /etc/conns");

  auto dev = file->Lookup("dev");
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->session_token, "tok");
}

TEST(ConnectionsFileTest, UnknownNameListsFileAndNamesButNoValues) {
  auto file = ConnectionsFile::Parse(
      std::string("ALPHA = AWS_ACCESS_KEY=AKIAALPHA;AWS_SECRET_KEY=") + kConnSecret +
          "\nBETA = AWS_ACCESS_KEY=AKIABETA;AWS_SECRET_KEY=" + kConnSecret + "\n",
      "/home/u/conns");
  ASSERT_TRUE(file.ok());
  auto creds = file->Lookup("GAMMA");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), ErrorKind::kNotFound);
  const std::string& message = creds.status().message();
  EXPECT_NE(message.find("'GAMMA'"), std::string::npos) << message;
  EXPECT_NE(message.find("/home/u/conns"), std::string::npos) << message;
  EXPECT_NE(message.find("available: ALPHA, BETA"), std::string::npos) << message;
  EXPECT_EQ(message.find("AKIAALPHA"), std::string::npos) << message;
  ExpectNoSecrets(message);

  auto empty = ConnectionsFile::Parse("# nothing\n", "/f");
  ASSERT_TRUE(empty.ok());
  EXPECT_NE(empty->Lookup("X").status().message().find("defines no connections"),
            std::string::npos);
}

TEST(ConnectionsFileTest, MalformedLinesAndDuplicatesAreErrorsWithLineNumbers) {
  auto no_eq = ConnectionsFile::Parse(std::string("A = AWS_ACCESS_KEY=k;AWS_SECRET_KEY=s\n") +
                                          kConnSecret + "\n",
                                      "/f");
  ASSERT_FALSE(no_eq.ok());
  EXPECT_NE(no_eq.status().message().find("/f line 2"), std::string::npos);
  ExpectNoSecrets(no_eq.status().message());

  auto duplicate = ConnectionsFile::Parse("a = x\nA = y\n", "/f");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.status().message().find("defined twice"), std::string::npos);

  EXPECT_FALSE(ConnectionsFile::Parse(" = AWS_ACCESS_KEY=k;AWS_SECRET_KEY=s\n", "/f").ok());
  EXPECT_FALSE(ConnectionsFile::Parse("my conn = AWS_ACCESS_KEY=k;AWS_SECRET_KEY=s\n", "/f").ok());
  EXPECT_TRUE(ConnectionsFile::Parse("my_conn-2.a = AWS_ACCESS_KEY=k;AWS_SECRET_KEY=s\n", "/f").ok());
}

// Issue 8 case 9: an entry whose value is malformed is reported with the file and its line.
TEST(ConnectionsFileTest, MalformedEntryValueNamesFileAndLine) {
  auto file = ConnectionsFile::Parse(std::string("# c\nGOOD = AWS_ACCESS_KEY=k;AWS_SECRET_KEY=") + kConnSecret +
                                         "\n\nBROKEN = AWS_ACCESS_KEY=AKIABROKEN\n",
                                     "/etc/conns");
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto broken = file->Lookup("broken");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().kind(), ErrorKind::kInvalidArgument);
  const std::string& m = broken.status().message();
  EXPECT_EQ(m.rfind("/etc/conns line 4: connection 'BROKEN': missing AWS_SECRET_KEY", 0), 0u) << m;
  ExpectNoSecrets(m);
}

TEST(ConnectionsFileTest, PathPrecedenceIsOptionThenEnvThenHome) {
  MapEnvironment env(std::map<std::string, std::string>{{"HOME", "/home/u"}});
  EXPECT_EQ(*ConnectionsFilePath("", env), "/home/u/.config/kinesis-import/connections");
  env.Set("KINESIS_IMPORT_CONNECTIONS_FILE", "~/conns");
  EXPECT_EQ(*ConnectionsFilePath("", env), "/home/u/conns");
  EXPECT_EQ(*ConnectionsFilePath("/opt/c", env), "/opt/c");

  MapEnvironment no_home;
  auto result = ConnectionsFilePath("", no_home);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("HOME is not set"), std::string::npos);
}

TEST(ConnectionsFileTest, MissingFileIsNotFoundNamingPath) {
  auto file = ConnectionsFile::Load("/nonexistent/ki/connections");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(file.status().message().find("/nonexistent/ki/connections"), std::string::npos);
}

// --- The default chain -----------------------------------------------------------------------

class CredentialsChainTest : public CredentialsTestBase {};

TEST_F(CredentialsChainTest, ConnectionWinsOverEnvironmentAndProfile) {
  SetEnvCredentials();
  WriteDefaultCredentialsFile();
  home_.Write(".config/kinesis-import/connections",
              "EXA = AWS_ACCESS_KEY=AKIACONN;AWS_SECRET_KEY=cs\n");
  auto creds = Resolve(WithConnection("exa"));
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, "AKIACONN");
  EXPECT_NE(creds->source.find("connection 'EXA'"), std::string::npos);
}

TEST_F(CredentialsChainTest, ChainShapeFollowsTheOptions) {
  // --connection: that connection only, nothing to fall through to.
  std::vector<std::string> connection_only =
      DefaultCredentialsChain(WithConnection("EXA", "/c"), env_).DescribeProviders();
  EXPECT_EQ(connection_only, (std::vector<std::string>{"connection 'EXA' in /c"}));
  // --profile: the environment provider is not in the chain at all.
  std::vector<std::string> profile_only =
      DefaultCredentialsChain(WithProfile("dev"), env_).DescribeProviders();
  ASSERT_EQ(profile_only.size(), 1u);
  EXPECT_EQ(profile_only[0].rfind("profile 'dev' in ", 0), 0u) << profile_only[0];
  EXPECT_EQ(DefaultCredentialsChain({}, env_).DescribeProviders().size(), 2u);
}

TEST_F(CredentialsChainTest, ConnectionsFileOptionBeatsEnvVariable) {
  std::string from_env = home_.Write("env_conns", "C = AWS_ACCESS_KEY=AKIAENV1;AWS_SECRET_KEY=s\n");
  std::string from_opt = home_.Write("opt_conns", "C = AWS_ACCESS_KEY=AKIAOPT1;AWS_SECRET_KEY=s\n");
  env_.Set("KINESIS_IMPORT_CONNECTIONS_FILE", from_env);
  auto via_env = Resolve(WithConnection("C"));
  ASSERT_TRUE(via_env.ok()) << via_env.status().message();
  EXPECT_EQ(via_env->access_key_id, "AKIAENV1");
  auto via_opt = Resolve(WithConnection("C", from_opt));
  ASSERT_TRUE(via_opt.ok()) << via_opt.status().message();
  EXPECT_EQ(via_opt->access_key_id, "AKIAOPT1");
}

TEST_F(CredentialsChainTest, FailingConnectionDoesNotFallThrough) {
  SetEnvCredentials();
  WriteDefaultCredentialsFile();
  // No connections file at all.
  auto missing_file = Resolve(WithConnection("EXA"));
  ASSERT_FALSE(missing_file.ok());
  EXPECT_EQ(missing_file.status().kind(), ErrorKind::kNotFound);
  // Unknown name.
  home_.Write(".config/kinesis-import/connections",
              std::string("OTHER = AWS_ACCESS_KEY=AKIAO;AWS_SECRET_KEY=") + kConnSecret + "\n");
  auto unknown = Resolve(WithConnection("EXA"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("available: OTHER"), std::string::npos)
      << unknown.status().message();
  ExpectNoSecrets(unknown.status().message());
}

TEST_F(CredentialsChainTest, EnvironmentWinsOverSharedFiles) {
  SetEnvCredentials();
  env_.Set("AWS_SESSION_TOKEN", "envtoken");
  WriteDefaultCredentialsFile();
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, kEnvKey);
  EXPECT_EQ(creds->secret_access_key, kEnvSecret);
  EXPECT_EQ(creds->session_token, "envtoken");
  EXPECT_EQ(creds->source, "environment");
}

TEST_F(CredentialsChainTest, AwsProfileVariableDoesNotBeatEnvironmentKeys) {
  SetEnvCredentials();
  home_.Write(".aws/credentials", "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = d\n");
  env_.Set("AWS_PROFILE", "dev");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->access_key_id, kEnvKey);
}

TEST_F(CredentialsChainTest, ExplicitProfileFlagBeatsEnvironment) {
  SetEnvCredentials();
  home_.Write(".aws/credentials", "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = d\n");
  auto creds = Resolve(WithProfile("dev"));
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, "AKIADEV");
  EXPECT_EQ(creds->source, "profile 'dev' in " + home_.path() + "/.aws/credentials");
  // And the environment is not even a fallback: a missing explicit profile is an error.
  auto missing = Resolve(WithProfile("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound);
}

TEST_F(CredentialsChainTest, HalfSetEnvironmentNamesTheMissingVariable) {
  WriteDefaultCredentialsFile();  // must not be used as a fallback
  env_.Set("AWS_ACCESS_KEY_ID", kEnvKey);
  auto no_secret = Resolve();
  ASSERT_FALSE(no_secret.ok());
  EXPECT_EQ(no_secret.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(no_secret.status().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos)
      << no_secret.status().message();

  env_.Unset("AWS_ACCESS_KEY_ID");
  env_.Set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  auto no_key = Resolve();
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.status().message().find("AWS_ACCESS_KEY_ID is not"), std::string::npos)
      << no_key.status().message();
  ExpectNoSecrets(no_key.status().message());

  // An empty variable counts as unset.
  env_.Set("AWS_ACCESS_KEY_ID", "");
  EXPECT_FALSE(Resolve().ok());
  env_.Set("AWS_SECRET_ACCESS_KEY", "");
  auto from_file = Resolve();
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  EXPECT_EQ(from_file->access_key_id, kFileKey);
}

TEST_F(CredentialsChainTest, DefaultProfileFromCredentialsFile) {
  WriteDefaultCredentialsFile();
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, kFileKey);
  EXPECT_EQ(creds->secret_access_key, kFileSecret);
  EXPECT_EQ(creds->session_token, "");
}

TEST_F(CredentialsChainTest, AwsProfileVariableSelectsProfile) {
  home_.Write(".aws/credentials",
              "[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = a\n"
              "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = b\n"
              "aws_session_token = devtoken\n");
  env_.Set("AWS_PROFILE", "dev");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, "AKIADEV");
  EXPECT_EQ(creds->session_token, "devtoken");
  // --profile beats AWS_PROFILE.
  auto flagged = Resolve(WithProfile("default"));
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(flagged->access_key_id, "AKIADEF");
}

TEST_F(CredentialsChainTest, CredentialsFileSectionWinsOverConfigFile) {
  home_.Write(".aws/credentials", "[dev]\naws_access_key_id = AKIACRED\naws_secret_access_key = c\n");
  home_.Write(".aws/config",
              "[profile dev]\naws_access_key_id = AKIACONF\naws_secret_access_key = f\n"
              "aws_session_token = conftoken\n");
  auto creds = Resolve(WithProfile("dev"));
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, "AKIACRED");
  EXPECT_EQ(creds->session_token, "");  // not mixed in from the config file
}

TEST_F(CredentialsChainTest, ConfigFileNeedsProfilePrefix) {
  home_.Write(".aws/config",
              "[profile dev]\naws_access_key_id = AKIAPREFIXED\naws_secret_access_key = p\n"
              "[bare]\naws_access_key_id = AKIABARE\naws_secret_access_key = b\n");
  auto dev = Resolve(WithProfile("dev"));
  ASSERT_TRUE(dev.ok()) << dev.status().message();
  EXPECT_EQ(dev->access_key_id, "AKIAPREFIXED");
  EXPECT_EQ(dev->source, "profile 'dev' in " + home_.path() + "/.aws/config");
  // "[bare]" in the config file is not profile "bare" (as in the AWS CLI).
  auto bare = Resolve(WithProfile("bare"));
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.status().kind(), ErrorKind::kNotFound);
}

TEST_F(CredentialsChainTest, ConfigFileDefaultSectionServesDefaultProfile) {
  home_.Write(".aws/config", "[default]\naws_access_key_id = AKIACFGDEF\naws_secret_access_key = s\n");
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, "AKIACFGDEF");
}

TEST_F(CredentialsChainTest, ProfilePrefixInCredentialsFileIsTakenLiterally) {
  // In the credentials file sections have no prefix; "[profile dev]" is a profile named
  // "profile dev", not "dev".
  home_.Write(".aws/credentials",
              "[profile dev]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n");
  auto dev = Resolve(WithProfile("dev"));
  EXPECT_FALSE(dev.ok());
  auto literal = Resolve(WithProfile("profile dev"));
  ASSERT_TRUE(literal.ok()) << literal.status().message();
  EXPECT_EQ(literal->access_key_id, "AKIAX");
}

TEST_F(CredentialsChainTest, SharedFileLocationsCanBeOverridden) {
  std::string creds_path = home_.Write("elsewhere/creds",
                                       "[default]\naws_access_key_id = AKIAOVR\n"
                                       "aws_secret_access_key = o\n");
  WriteDefaultCredentialsFile();  // the default location must now be ignored
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", creds_path);
  auto creds = Resolve();
  ASSERT_TRUE(creds.ok()) << creds.status().message();
  EXPECT_EQ(creds->access_key_id, "AKIAOVR");
  EXPECT_EQ(creds->source, "profile 'default' in " + creds_path);

  std::string config_path = home_.Write("elsewhere/conf",
                                        "[profile cfg]\naws_access_key_id = AKIACFG\n"
                                        "aws_secret_access_key = c\n");
  env_.Set("AWS_CONFIG_FILE", config_path);
  auto from_config = Resolve(WithProfile("cfg"));
  ASSERT_TRUE(from_config.ok()) << from_config.status().message();
  EXPECT_EQ(from_config->access_key_id, "AKIACFG");
}

TEST_F(CredentialsChainTest, MissingExplicitProfileNamesProfileAndFiles) {
  WriteDefaultCredentialsFile();
  env_.Set("AWS_PROFILE", "staging");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), ErrorKind::kNotFound);
  const std::string& message = creds.status().message();
  EXPECT_NE(message.find("profile 'staging' (from AWS_PROFILE)"), std::string::npos) << message;
  EXPECT_NE(message.find(home_.path() + "/.aws/credentials"), std::string::npos) << message;
  EXPECT_NE(message.find(home_.path() + "/.aws/config (does not exist)"), std::string::npos)
      << message;
  ExpectNoSecrets(message);
}

TEST_F(CredentialsChainTest, NothingConfiguredListsEveryPlaceLooked) {
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), ErrorKind::kFatal);
  const std::string& message = creds.status().message();
  EXPECT_EQ(message.rfind("no AWS credentials found; looked in: ", 0), 0u) << message;
  EXPECT_NE(message.find("1) environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("2) profile 'default' in " + home_.path() + "/.aws/credentials and " +
                         home_.path() + "/.aws/config"),
            std::string::npos)
      << message;

  // A default profile without keys (only a region) is "not configured", not an error.
  home_.Write(".aws/config", "[default]\nregion = us-east-1\n");
  auto still_none = Resolve();
  ASSERT_FALSE(still_none.ok());
  EXPECT_EQ(still_none.status().kind(), ErrorKind::kFatal);
}

TEST_F(CredentialsChainTest, IncompleteProfileIsAnErrorNotAFallThrough) {
  home_.Write(".aws/credentials", std::string("[default]\naws_secret_access_key = ") +
                                      kFileSecret + "\n");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(creds.status().message().find("has no aws_access_key_id"), std::string::npos)
      << creds.status().message();
  ExpectNoSecrets(creds.status().message());
}

TEST_F(CredentialsChainTest, ProfileWithUnsupportedMechanismIsReported) {
  home_.Write(".aws/config",
              "[profile assume]\nrole_arn = arn:aws:iam::123:role/x\nsource_profile = default\n");
  auto creds = Resolve(WithProfile("assume"));
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("'role_arn'"), std::string::npos)
      << creds.status().message();

  home_.Write(".aws/config", "[profile empty]\nregion = us-east-1\n");
  auto empty = Resolve(WithProfile("empty"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("has no aws_access_key_id/aws_secret_access_key"),
            std::string::npos)
      << empty.status().message();
}

TEST_F(CredentialsChainTest, MalformedSharedFileIsReported) {
  home_.Write(".aws/credentials", "[default\n");
  auto creds = Resolve();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find(home_.path() + "/.aws/credentials line 1"),
            std::string::npos)
      << creds.status().message();
}

// --- CredentialsChain with custom providers -------------------------------------------------

class FakeProvider : public CredentialsProvider {
 public:
  FakeProvider(Result<std::optional<AwsCredentials>> result, std::string name, int* calls)
      : result_(std::move(result)), name_(std::move(name)), calls_(calls) {}
  Result<std::optional<AwsCredentials>> Load() override {
    ++*calls_;
    return result_;
  }
  std::string Describe() const override { return name_; }

 private:
  Result<std::optional<AwsCredentials>> result_;
  std::string name_;
  int* calls_;
};

TEST(CredentialsChainOrderTest, FirstProviderWithCredentialsWinsAndErrorsStopTheChain) {
  int calls = 0;
  AwsCredentials second;
  second.access_key_id = "AKIASECOND";
  second.secret_access_key = "s";
  CredentialsChain chain;
  chain.AddProvider(std::make_unique<FakeProvider>(std::optional<AwsCredentials>(), "A", &calls));
  chain.AddProvider(
      std::make_unique<FakeProvider>(std::optional<AwsCredentials>(second), "B", &calls));
  chain.AddProvider(std::make_unique<FakeProvider>(std::optional<AwsCredentials>(), "C", &calls));
  auto creds = chain.Resolve();
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->access_key_id, "AKIASECOND");
  EXPECT_EQ(calls, 2);  // C was never asked
  EXPECT_EQ(chain.DescribeProviders(), (std::vector<std::string>{"A", "B", "C"}));

  CredentialsChain broken;
  broken.AddProvider(std::make_unique<FakeProvider>(FatalError("boom"), "A", &calls));
  broken.AddProvider(
      std::make_unique<FakeProvider>(std::optional<AwsCredentials>(second), "B", &calls));
  auto error = broken.Resolve();
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().message(), "boom");
}

TEST(CredentialsRedactionTest, ShowsOnlyTheFirstFourCharacters) {
  EXPECT_EQ(RedactAccessKey("AKIAIOSFODNN7EXAMPLE"), "AKIA****");
  EXPECT_EQ(RedactAccessKey("ASIA12345"), "ASIA****");
  EXPECT_EQ(RedactAccessKey("AKIA"), "****");
  EXPECT_EQ(RedactAccessKey(""), "****");
}

}  // namespace
}  // namespace ki
