#include "workers/interrupts.h"

#include <unistd.h>

#include <csignal>
#include <initializer_list>

namespace attnsweep {
namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_drain = 0;

void OnDrainSignal(int) { g_drain = 1; }

// Before a command has anything to lose: the process ends at once, as an interrupted one (130).
// Only async-signal-safe calls here.
void ExitAtOnce(int) {
  static const char kMessage[] = "attnsweep: interrupted; nothing was stored\n";
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  ::_exit(130);
}

void SetStopHandler(void (*handler)(int)) {
  struct sigaction action = {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  // A terminal closing (SIGHUP) means stop, as Ctrl-C and kill do.
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal, &action, nullptr);
}

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

void ExitAtOnceOnInterrupt() { SetStopHandler(ExitAtOnce); }

void InstallInterruptHandlers() {
  SetStopHandler(OnStopSignal);
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
