// A dispatcher hands each job to whichever worker is ready for it. Each
// worker waits on a rendezvous channel of its own; the dispatcher offers the
// job on all of them at once with a select, and the send that completes is
// the one to the first idle worker. The workers report back on one shared
// channel: every worker holds a copy of its sender.
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"

constexpr int kWorkers = 4;
constexpr int kJobs = 20;

struct Job {
  int id = 0;
  int input = 0;
};

struct Result {
  int job = 0;
  int worker = 0;
  int output = 0;
};

// Squares the inputs, slowly, until the dispatcher is done.
void Work(int me, chan::Receiver<Job> jobs, chan::Sender<Result> results) {
  for (const Job& job : jobs) {
    absl::SleepFor(absl::Milliseconds(5 * (job.id % 3 + 1)));
    if (!results.Send(Result{job.id, me, job.input * job.input})) return;
  }
}

int main() {
  auto [results_tx, results] = chan::Unbounded<Result>();
  std::vector<chan::Sender<Job>> workers;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    // A rendezvous channel: a send completes only when the worker takes the
    // job, so only an idle worker can take one.
    auto [jobs_tx, jobs_rx] = chan::Bounded<Job>(0);
    workers.push_back(std::move(jobs_tx));
    threads.emplace_back(Work, w, std::move(jobs_rx), results_tx);
  }
  // The workers have their copies; drop this one, so that the results
  // channel disconnects when the last worker is done.
  { chan::Sender<Result> drop = std::move(results_tx); }

  int expected = 0;
  {
    // One send per worker, all of the same `job`: only the send that the
    // select completes takes it.
    Job job;
    chan::DynamicSelect to_idle_worker;
    for (chan::Sender<Job>& worker : workers) {
      to_idle_worker.AddSend(worker, job);
    }
    for (int id = 1; id <= kJobs; ++id) {
      job = Job{id, id};
      chan::SelectedOperation op = to_idle_worker.Select();
      const size_t w = op.index();      // The index of the AddSend: the worker.
      if (!op.Send(workers[w])) break;  // That worker is gone.
      std::printf("job %2d -> worker %zu\n", id, w);
      expected += id * id;
    }
  }
  workers.clear();  // No more jobs: each worker's loop ends.

  int total = 0;
  int done_by[kWorkers] = {};
  for (const Result& r : results) {  // Until every worker is gone.
    std::printf("worker %d did job %2d: %d\n", r.worker, r.job, r.output);
    total += r.output;
    ++done_by[r.worker];
  }
  for (std::thread& t : threads) t.join();

  for (int w = 0; w < kWorkers; ++w) {
    std::printf("worker %d: %d jobs\n", w, done_by[w]);
  }
  std::printf("total %d, expected %d\n", total, expected);
  return total == expected ? 0 : 1;
}
