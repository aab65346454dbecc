// kinesis-replay: a Kinesis Data Streams source on loopback that is faster than the connector,
// so that end-to-end benchmarks measure the connector and not an emulator (issue 12).
//   kinesis-replay --listen 127.0.0.1:PORT --stream NAME --shards N --records M
//                  --dataset sensor|event [--aws-limits] [--cbor] [--dump FILE.ndjson]
// --cbor: also serves the CBOR protocol (Content-Type application/x-amz-cbor-1.1), as AWS does.
// Prints "listening on 127.0.0.1:PORT" on stdout once it serves; stops on SIGTERM/SIGINT.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "datasets.h"
#include "http_server.h"
#include "kinesis_api.h"
#include "replay_stream.h"

int main(int argc, char** argv) {
  CLI::App app{"kinesis-replay: serves a Kinesis stream (JSON 1.1, and CBOR with --cbor) from memory on loopback"};
  std::string listen, stream_name, dataset_name = "sensor", dump, print_table;
  int shards = 1;
  uint64_t records = 0;
  bool aws_limits = false, cbor = false;
  app.add_option("--listen", listen, "127.0.0.1:PORT (0: a free port, printed)");
  app.add_option("--stream", stream_name, "the stream's name");
  app.add_option("--shards", shards, "open shards")->check(CLI::Range(1, 100000));
  app.add_option("--records", records, "records in the whole stream, record i on shard i % N");
  app.add_option("--dataset", dataset_name, "sensor (~60 bytes) or event (~1 KB, 24 fields)");
  app.add_flag("--aws-limits", aws_limits, "5 GetRecords calls/s and 2 MB/s per shard");
  app.add_flag("--cbor", cbor,
               "also serve Content-Type application/x-amz-cbor-1.1 (CBOR bodies, Data as byte strings, "
               "timestamps as tag 1 + epoch ms), as AWS does; renders every record a second time");
  app.add_option("--dump", dump, "also write the records as NDJSON (payload + kinesis_shard_id, shard_sequence_number)");
  app.add_option("--print-table", print_table,
                 "print the DuckDB CREATE TABLE for the data set's rows under this name, and exit");
  bool print_columns = false;
  app.add_flag("--print-columns", print_columns,
               "print the data set's columns as read_json's columns={...} argument, and exit");
  CLI11_PARSE(app, argc, argv);

  auto dataset = replay::ParseDataset(dataset_name);
  if (!dataset) {
    std::cerr << "kinesis-replay: --dataset must be sensor or event, got " << dataset_name << "\n";
    return 2;
  }
  if (print_columns) {
    std::printf("%s\n", replay::DuckDbReadJsonColumns(*dataset).c_str());
    return 0;
  }
  if (!print_table.empty()) {
    std::printf("%s\n", replay::DuckDbTableSql(*dataset, print_table).c_str());
    return 0;
  }
  if (stream_name.empty()) {
    std::cerr << "kinesis-replay: --stream is required\n";
    return 2;
  }
  auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) port = std::atoi(listen.c_str() + colon + 1);
  if (colon == std::string::npos || port < 0 || port > 65535) {
    std::cerr << "kinesis-replay: --listen must be 127.0.0.1:PORT, got " << listen << "\n";
    return 2;
  }

  // SIGTERM/SIGINT go to the thread below, never to a connection thread mid-write; a client
  // closing its connection must not kill the server.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  replay::StreamOptions options{stream_name, shards, records, *dataset, aws_limits, cbor};
  replay::ReplayStream stream;
  if (auto error = replay::ReplayStream::Build(options, dump, stream)) {
    std::cerr << "kinesis-replay: " << *error << "\n";
    return 1;
  }
  replay::KinesisApi api(stream);
  replay::HttpServer server(api);
  if (auto error = server.Listen(listen.substr(0, colon), port)) {
    std::cerr << "kinesis-replay: " << *error << "\n";
    return 1;
  }
  std::thread([&server, stop_signals] {
    int sig;
    sigwait(&stop_signals, &sig);
    server.Stop();
  }).detach();
  std::printf("listening on 127.0.0.1:%d\n", server.port());
  std::fflush(stdout);
  server.Serve();
  // Connection threads may still be writing from the stream's memory: leave without running
  // destructors.
  std::fflush(nullptr);
  std::_Exit(0);
}
