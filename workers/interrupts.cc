#include "workers/interrupts.h"

#include <csignal>

namespace attnsweep {
namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_drain = 0;

void OnDrainSignal(int) { g_drain = 1; }

void OnStopSignal(int signal) {
  if (g_signal != 0) {
    // Second request: the user means it. Fall back to the default action (terminate).
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_signal = signal;
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  struct sigaction drain = {};
  drain.sa_handler = OnDrainSignal;
  sigemptyset(&drain.sa_mask);
  sigaction(SIGUSR1, &drain, nullptr);
  // A job process that died leaves a closed pipe: writing to it must fail, not kill the worker.
  std::signal(SIGPIPE, SIG_IGN);
}

bool InterruptRequested() { return g_signal != 0; }
int InterruptSignal() { return g_signal; }
bool DrainRequested() { return g_drain != 0; }

}  // namespace attnsweep
