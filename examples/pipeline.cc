// Counts the words in the text files under a directory with a pipeline of
// threads joined by channels, in the manner of Go's "pipelines and
// cancellation":
//
//   source ──▶ worker 0 ──▶ ┐
//   (fan-out)  worker 1 ──▶ merger ──▶ sink
//              ...     ──▶ ┘ (fan-in)
//
//   source  walks --dir and hands each *.txt file to whichever worker has
//           room for it (a select over one send per worker);
//   workers count the words of their files, one thread each;
//   merger  takes the counts from whichever worker has one ready (a select
//           over one receive per worker) and passes them on;
//   sink    the main thread: adds the counts up, prints progress on a
//           ticker, and cancels the run at the --deadline.
//
// Cancellation is a std::stop_source: at the deadline the sink requests
// stop, the source stops listing and the workers stop counting. Nothing in
// flight is lost: a worker still takes the files queued for it, as skipped,
// and every count already made reaches the sink. Each stage ends when its
// input is disconnected and drained, and the summary checks that the
// stages' counts add up.
//
// A word is a maximal run of ASCII letters, lowercased.
//
//   bazel run //examples:pipeline
//   bazel run //examples:pipeline -- --dir=/usr/share/doc --workers=8
//   bazel run //examples:pipeline -- --per_file_delay=100ms --deadline=250ms
//
// Exit status: 0 when every file was counted; 2 when the deadline cancelled
// the run (the results then cover the files counted before it); 1 on error.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "tools/cpp/runfiles/runfiles.h"

ABSL_FLAG(std::string, dir, "",
          "directory whose *.txt files are counted, recursively (default: "
          "the small corpus that ships with this example)");
ABSL_FLAG(int, workers, 4, "number of counting threads");
ABSL_FLAG(int, capacity, 16,
          "capacity of each channel between stages (0: rendezvous)");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10),
          "cancel the run after this long");
ABSL_FLAG(int, top, 10, "how many of the most frequent words to print");
ABSL_FLAG(absl::Duration, per_file_delay, absl::ZeroDuration(),
          "extra time a worker spends on each file, as if the storage were "
          "slow: for watching the progress lines and the cancellation");

namespace {

namespace fs = std::filesystem;

using WordCounts = absl::flat_hash_map<std::string, int64_t>;

// What a worker makes of one file.
struct FileCount {
  fs::path path;
  int64_t words = 0;
  WordCounts counts;  // Occurrences of each word.
  std::string error;  // Why the file could not be read; empty if it could.
};

// How many items each stage handled. Each field is written by its stage's
// thread alone and read by the main thread after joining it.
struct StageCounts {
  int64_t listed = 0;  // source: files handed to a worker
  struct Worker {
    int64_t counted = 0;  // files counted
    int64_t skipped = 0;  // files taken but not counted, after stop
  };
  std::vector<Worker> workers;
  int64_t merged = 0;      // merger: counts passed on
  int64_t aggregated = 0;  // sink: counts added up
};

// Reads `path` and counts its words.
FileCount CountWords(fs::path path) {
  FileCount result;
  result.path = std::move(path);
  std::ifstream file(result.path, std::ios::binary);
  const std::string s(std::istreambuf_iterator<char>(file), {});
  if (!file.is_open() || file.bad()) {
    result.error = "cannot read the file";
    return result;
  }
  for (size_t i = 0; i < s.size();) {
    if (!absl::ascii_isalpha(s[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < s.size() && absl::ascii_isalpha(s[end])) ++end;
    ++result.counts[absl::AsciiStrToLower(s.substr(i, end - i))];
    ++result.words;
    i = end;
  }
  return result;
}

// Waits `delay`, unless stop is requested first. Returns false if it was.
bool SlowStorage(std::stop_token stop, absl::Duration delay) {
  if (delay <= absl::ZeroDuration()) return !stop.stop_requested();
  bool stopped = false;
  chan::Select()
      .Stop(stop, [&] { stopped = true; })
      .Timeout(delay, [] {})
      .Wait();
  return !stopped;
}

// Stage 1, the source: walks `dir` and sends each *.txt file to a worker
// with room for it. Returns when the walk is done or stop is requested.
// The senders to the workers go with it, which tells them no more files
// are coming.
void ListFiles(std::stop_token stop, fs::path dir,
               std::vector<chan::Sender<fs::path>> workers, int64_t& listed) {
  // A DynamicSelect waits on channels only, so the stop token is turned into
  // one: a channel whose only sender is dropped when stop is requested. Its
  // receiver then reports disconnection, which makes it ready.
  struct Nothing {};
  auto [stop_tx, stop_rx] = chan::Bounded<Nothing>(0);
  std::optional<chan::Sender<Nothing>> stop_sender(std::move(stop_tx));
  std::stop_callback on_stop(stop, [&] { stop_sender.reset(); });

  // One send per worker, all of the same `file`: the select sends it on one
  // channel with room (at random, if several have) and leaves the others.
  // With room in every queue the files are dealt out up front; with
  // --capacity=0 a file goes only to a worker that is idle.
  fs::path file;
  chan::DynamicSelect fan_out;
  for (chan::Sender<fs::path>& worker : workers) fan_out.AddSend(worker, file);
  const size_t stopped = fan_out.AddRecv(stop_rx);

  std::error_code error;
  for (fs::recursive_directory_iterator it(dir, error), end;
       !error && it != end; it.increment(error)) {
    if (!it->is_regular_file(error) || it->path().extension() != ".txt") {
      continue;
    }
    file = it->path();
    chan::SelectedOperation op = fan_out.Select();
    if (op.index() == stopped) return;
    if (!op.Send(workers[op.index()])) return;  // That worker is gone.
    ++listed;
  }
  if (error) {
    absl::FPrintF(stderr, "pipeline: %s: %s\n", dir.string(), error.message());
  }
}

// Stage 2, one thread per worker: counts the words of each file it is sent
// and sends the count on. Once stop is requested it starts no new file, but
// it still takes the files queued for it, as skipped, until the source is
// done: every file listed is either counted or skipped.
void CountFiles(std::stop_token stop, chan::Receiver<fs::path> files,
                chan::Sender<FileCount> out, absl::Duration delay,
                StageCounts::Worker& counts) {
  bool stopped = false;
  bool done = false;
  const auto count_file = [&](std::optional<fs::path> file) {
    if (!file) {  // The source is done.
      done = true;
      return;
    }
    if (!SlowStorage(stop, delay)) {
      ++counts.skipped;
      return;
    }
    ++counts.counted;
    if (!out.Send(CountWords(*std::move(file)))) done = true;  // No merger.
  };
  // Biased: the first ready case wins, so a stop request is seen before the
  // next file even when files are queued.
  auto next = chan::Select()
                  .Stop(stop, [&] { stopped = true; })
                  .Recv(files, count_file)
                  .Biased();
  while (!stopped && !done) next.Wait();

  // Take what is left, uncounted, until the source is gone.
  while (files.Recv()) ++counts.skipped;
}

// Forwards counts from `inputs` to `out` until one of the inputs ends, and
// returns its index.
size_t ForwardUntilOneEnds(std::vector<chan::Receiver<FileCount>>& inputs,
                           chan::Sender<FileCount>& out, int64_t& merged) {
  chan::DynamicSelect select;
  for (chan::Receiver<FileCount>& input : inputs) select.AddRecv(input);
  for (;;) {
    chan::SelectedOperation op = select.Select();
    chan::RecvResult<FileCount> count = op.Recv(inputs[op.index()]);
    if (!count) return op.index();  // That worker is done.
    ++merged;
    if (!out.Send(*std::move(count))) return op.index();  // The sink is gone.
  }
}

// Stage 3, the merger: passes the workers' counts on to the sink, in the
// order they come. Returns when every worker is done.
void Merge(std::vector<chan::Receiver<FileCount>> inputs,
           chan::Sender<FileCount> out, int64_t& merged) {
  // A worker that is done leaves its channel disconnected, and so always
  // ready; a DynamicSelect cannot drop an operation, so a new one is built
  // over the workers still running.
  while (!inputs.empty()) {
    const size_t done = ForwardUntilOneEnds(inputs, out, merged);
    inputs.erase(inputs.begin() + done);
  }
}

// The sink's running totals.
struct Totals {
  int64_t words = 0;
  WordCounts counts;
  std::vector<FileCount> files;  // Without their word counts.

  void Add(FileCount file) {
    words += file.words;
    for (const auto& [word, n] : file.counts) counts[word] += n;
    file.counts.clear();
    files.push_back(std::move(file));
  }
};

// A duration for people to read: "12.345ms".
std::string FormatMs(absl::Duration d) {
  return absl::StrFormat("%.3fms", absl::ToDoubleMilliseconds(d));
}

// The directory to count: --dir, or the corpus shipped with this example.
fs::path InputDir(const char* argv0) {
  fs::path dir = absl::GetFlag(FLAGS_dir);
  if (!dir.empty()) {
    // `bazel run` starts the program in its runfiles; take a relative path
    // from where the command was typed instead.
    const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
    if (dir.is_relative() && cwd != nullptr) dir = fs::path(cwd) / dir;
    return dir;
  }
  // `bazel run` and `bazel test` start in the runfiles, where the corpus is
  // at this path, as it is in the workspace. From elsewhere, Bazel's
  // runfiles library finds it next to the program.
  const fs::path corpus = "examples/corpus";
  if (fs::is_directory(corpus)) return corpus;
  using bazel::tools::cpp::runfiles::Runfiles;
  std::unique_ptr<Runfiles> runfiles(Runfiles::Create(argv0));
  if (runfiles == nullptr) return corpus;
  return runfiles->Rlocation("chan/examples/corpus");
}

void PrintResults(const Totals& totals, const fs::path& dir, int top) {
  // The most frequent words, ties in alphabetical order.
  std::vector<std::pair<std::string, int64_t>> words(totals.counts.begin(),
                                                     totals.counts.end());
  const auto more_frequent = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t shown = std::min(words.size(), static_cast<size_t>(top));
  std::partial_sort(words.begin(), words.begin() + shown, words.end(),
                    more_frequent);
  absl::PrintF("top %d words of %d distinct:\n", shown, words.size());
  for (size_t i = 0; i < shown; ++i) {
    absl::PrintF("%8d  %s\n", words[i].second, words[i].first);
  }

  std::vector<const FileCount*> files;
  for (const FileCount& file : totals.files) files.push_back(&file);
  std::sort(files.begin(), files.end(),
            [](const auto* a, const auto* b) { return a->path < b->path; });
  absl::PrintF("words per file:\n");
  for (const FileCount* file : files) {
    const std::string name = file->path.lexically_relative(dir).string();
    if (file->error.empty()) {
      absl::PrintF("%8d  %s\n", file->words, name);
    } else {
      absl::PrintF("%8s  %s: %s\n", "-", name, file->error);
    }
  }
  absl::PrintF("total: %d files, %d words\n", totals.files.size(),
               totals.words);
}

// Prints what each stage handled and whether it adds up: every file listed
// was counted or skipped, and every count reached the sink.
bool PrintSummary(const StageCounts& stages) {
  int64_t counted = 0;
  int64_t skipped = 0;
  std::string per_worker;
  for (const StageCounts::Worker& w : stages.workers) {
    counted += w.counted;
    skipped += w.skipped;
    absl::StrAppendFormat(&per_worker, "%s%d", per_worker.empty() ? "" : " ",
                          w.counted);
  }
  absl::PrintF("source:  listed %d files\n", stages.listed);
  absl::PrintF("workers: counted %d files (per worker: %s), skipped %d\n",
               counted, per_worker, skipped);
  absl::PrintF("merger:  merged %d counts\n", stages.merged);
  absl::PrintF("sink:    aggregated %d counts\n", stages.aggregated);
  const bool consistent = stages.listed == counted + skipped &&
                          counted == stages.merged &&
                          stages.merged == stages.aggregated;
  absl::PrintF("stages: %s\n", consistent ? "consistent" : "INCONSISTENT");
  return consistent;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "counts the words in the *.txt files under --dir with a pipeline of "
      "threads");
  absl::ParseCommandLine(argc, argv);
  const fs::path dir = InputDir(argv[0]);
  const int workers = absl::GetFlag(FLAGS_workers);
  const int capacity = absl::GetFlag(FLAGS_capacity);
  const absl::Duration deadline = absl::GetFlag(FLAGS_deadline);
  if (!fs::is_directory(dir) || workers < 1 || capacity < 0) {
    absl::FPrintF(stderr,
                  "pipeline: need an existing --dir (%s), --workers >= 1 and "
                  "--capacity >= 0\n",
                  dir.string());
    return 1;
  }
  absl::PrintF("counting %s with %d workers, capacity %d, deadline %s\n",
               dir.string(), workers, capacity, absl::FormatDuration(deadline));

  const absl::Time start = absl::Now();
  chan::Receiver<absl::Time> timeout = chan::At(start + deadline);
  std::stop_source stop;
  StageCounts stages;
  stages.workers.resize(workers);

  // Wire the stages together, each worker with a channel in and a channel
  // out, and start a thread for each stage but the sink. Every sender and
  // receiver is moved into the thread that uses it: when a stage returns,
  // its channels disconnect, and the next stage sees that its input ended.
  std::vector<std::thread> threads;
  std::vector<chan::Sender<fs::path>> to_workers;
  std::vector<chan::Receiver<FileCount>> from_workers;
  for (int i = 0; i < workers; ++i) {
    auto [files_tx, files_rx] = chan::Bounded<fs::path>(capacity);
    auto [counts_tx, counts_rx] = chan::Bounded<FileCount>(capacity);
    threads.emplace_back(
        CountFiles, stop.get_token(), std::move(files_rx), std::move(counts_tx),
        absl::GetFlag(FLAGS_per_file_delay), std::ref(stages.workers[i]));
    to_workers.push_back(std::move(files_tx));
    from_workers.push_back(std::move(counts_rx));
  }
  auto [merged_tx, merged_rx] = chan::Bounded<FileCount>(capacity);
  threads.emplace_back(ListFiles, stop.get_token(), dir, std::move(to_workers),
                       std::ref(stages.listed));
  threads.emplace_back(Merge, std::move(from_workers), std::move(merged_tx),
                       std::ref(stages.merged));

  // Stage 4, the sink, on this thread: one select, built once and waited on
  // until the merger is done.
  Totals totals;
  bool cancelled = false;
  bool done = false;
  const auto add_count = [&](std::optional<FileCount> count) {
    if (!count) {
      done = true;  // Every stage before this one has ended.
      return;
    }
    ++stages.aggregated;
    totals.Add(*std::move(count));
  };
  const auto print_progress = [&](std::optional<absl::Time> now) {
    absl::PrintF("progress: %d files, %d words after %s\n", totals.files.size(),
                 totals.words, FormatMs(*now - start));
  };
  // `timeout` delivers once, so this runs once. The sink goes on taking the
  // counts already made until the stages have wound down.
  const auto cancel = [&](std::optional<absl::Time>) {
    cancelled = true;
    stop.request_stop();
  };
  chan::Receiver<absl::Time> progress = chan::Tick(absl::Milliseconds(100));
  auto sink = chan::Select()
                  .Recv(merged_rx, add_count)
                  .Recv(progress, print_progress)
                  .Recv(timeout, cancel);
  while (!done) sink.Wait();
  for (std::thread& t : threads) t.join();
  const absl::Duration elapsed = absl::Now() - start;

  if (cancelled) {
    absl::PrintF("cancelled: the deadline of %s passed; partial results\n",
                 absl::FormatDuration(deadline));
  }
  PrintResults(totals, dir, absl::GetFlag(FLAGS_top));
  const bool consistent = PrintSummary(stages);
  const double seconds = absl::ToDoubleSeconds(elapsed);
  absl::PrintF("elapsed %s: %.0f files/s, %.0f words/s\n", FormatMs(elapsed),
               totals.files.size() / seconds, totals.words / seconds);

  if (!consistent) return 1;
  return cancelled ? 2 : 0;
}
