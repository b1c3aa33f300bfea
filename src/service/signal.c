/* SIGTERM / SIGINT / SIGUSR2 handling of HGOuterSolve(): the first signal asks the run to stop
   after the current outer iteration (with a checkpoint); the second ends the process at once,
   which leaves the last checkpoint intact because checkpoints are replaced atomically.
   SIGUSR1 asks for a checkpoint after the current iteration, and the run goes on.
   Under Open MPI's mpiexec, SIGUSR1 and SIGUSR2 sent to mpiexec are forwarded to every rank
   and the job ends with the ranks' exit status; SIGTERM sent to mpiexec makes it abort the job
   (exit 1) and kill the ranks odls_base_sigkill_timeout (1 s) later.  Only rank 0 of the outer
   communicator prints the message. */
#include "outerimpl.h"
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t hg_signal_count = 0, hg_usr1_count = 0, hg_signal_quiet = 0;
static struct sigaction      hg_old_term, hg_old_int, hg_old_usr1, hg_old_usr2;
static PetscBool             hg_installed = PETSC_FALSE;

static void HGOuterSignalHandler(int sig)
{
  static const char msg[] = "hypergrad: signal received: stopping after this outer iteration with a checkpoint (send it again to stop at once)\n";
  hg_signal_count++;
  if (hg_signal_count >= 2) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  if (hg_signal_quiet) return; /* one message per job: rank 0 prints it */
  if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) { /* nothing else is async-signal-safe to do */
  }
}

/* SIGUSR1: write a checkpoint after the current iteration and go on */
static void HGOuterSignalHandlerUsr1(int sig)
{
  hg_usr1_count++;
}

PetscErrorCode HGOuterSignalInstall(HGOuter outer)
{
  struct sigaction sa;
  PetscMPIInt      rank;

  PetscFunctionBegin;
  if (hg_installed) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)outer), &rank));
  hg_signal_quiet = rank ? 1 : 0;
  hg_signal_count = 0;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = HGOuterSignalHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  PetscCheck(sigaction(SIGTERM, &sa, &hg_old_term) == 0 && sigaction(SIGINT, &sa, &hg_old_int) == 0 && sigaction(SIGUSR2, &sa, &hg_old_usr2) == 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_SYS, "Cannot install the SIGTERM/SIGINT/SIGUSR2 handlers; run with -outer_signals 0");
  hg_usr1_count = 0;
  sa.sa_handler = HGOuterSignalHandlerUsr1;
  PetscCheck(sigaction(SIGUSR1, &sa, &hg_old_usr1) == 0, PetscObjectComm((PetscObject)outer), PETSC_ERR_SYS, "Cannot install the SIGUSR1 handler; run with -outer_signals 0");
  hg_installed = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOuterSignalRestore(HGOuter outer)
{
  PetscFunctionBegin;
  if (!hg_installed) PetscFunctionReturn(0);
  (void)sigaction(SIGTERM, &hg_old_term, NULL);
  (void)sigaction(SIGINT, &hg_old_int, NULL);
  (void)sigaction(SIGUSR1, &hg_old_usr1, NULL);
  (void)sigaction(SIGUSR2, &hg_old_usr2, NULL);
  hg_installed = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* Has any rank received a signal?  (Collective: schedulers signal every rank, but not at
   the same instant, so the ranks agree before they stop.) */
PetscErrorCode HGOuterSignalPending(HGOuter outer, PetscBool *pending, PetscBool *checkpoint)
{
  int mine[2], any[2] = {0, 0};

  PetscFunctionBegin;
  *pending = *checkpoint = PETSC_FALSE;
  if (!hg_installed) PetscFunctionReturn(0);
  mine[0] = hg_signal_count > 0;
  mine[1] = hg_usr1_count > 0;
  PetscCallMPI(MPI_Allreduce(mine, any, 2, MPI_INT, MPI_MAX, PetscObjectComm((PetscObject)outer)));
  *pending    = any[0] ? PETSC_TRUE : PETSC_FALSE;
  *checkpoint = any[1] ? PETSC_TRUE : PETSC_FALSE;
  if (any[1]) hg_usr1_count = 0;
  PetscFunctionReturn(0);
}
