#include "workers/interrupts.h"

#include <csignal>

namespace attnsweep {
namespace {

volatile std::sig_atomic_t g_signal = 0;

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
}

bool InterruptRequested() { return g_signal != 0; }
int InterruptSignal() { return g_signal; }

}  // namespace attnsweep
