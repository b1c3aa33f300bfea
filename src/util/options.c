/* Options that never pass in silence: an integer option out of PetscInt's range is an error (not
   a wrapped value), a numeric option given without a value is an error (not ignored), a default
   computed at run time is shown by -help as what it is, and an application can refuse every
   option its run did not read (HGOptionsCheckUnused()). */
#include <hypergrad/hgimpl.h>
#include <errno.h>

/* An error raised inside PetscOptionsBegin/End: end the block first, so that nothing leaks */
#define HGOptionsError(po, ...) \
  do { \
    MPI_Comm hg_comm_ = (po)->comm; \
    PetscCall(PetscOptionsEnd_Private(po)); \
    SETERRQ(hg_comm_, PETSC_ERR_ARG_OUTOFRANGE, __VA_ARGS__); \
  } while (0)

PetscErrorCode HGOptionsInt_Private(PetscOptionItems *PetscOptionsObject, const char opt[], const char text[], const char man[], PetscInt current, PetscInt *value, PetscBool *set, const char deftext[])
{
  char       shown[64], str[256];
  PetscBool  given;
  const char *prefix = PetscOptionsObject->prefix ? PetscOptionsObject->prefix : "";

  PetscFunctionBegin;
  if (deftext) PetscCall(PetscStrncpy(shown, deftext, sizeof(shown)));
  else PetscCall(PetscSNPrintf(shown, sizeof(shown), "%" PetscInt_FMT, current));
  /* read as a string (a value-less option gives ""): -help shows the real default, and the
     value is parsed here, range-checked */
  str[0] = 0;
  PetscCall(PetscOptionsString(opt, text, man, shown, str, sizeof(str), &given));
  if (set) *set = PETSC_FALSE;
  if (!given) PetscFunctionReturn(0);
  if (!str[0]) HGOptionsError(PetscOptionsObject, "-%s%s needs an integer value (e.g. -%s%s %s); given without one it would be ignored", prefix, opt + 1, prefix, opt + 1, shown);
  {
    char     *end;
    long long v;

    errno = 0;
    v     = strtoll(str, &end, 10);
    if (end != str && *end == '\0') { /* a plain decimal integer: check its range before it is cast */
      if (errno == ERANGE || v < PETSC_MIN_INT || v > PETSC_MAX_INT) HGOptionsError(PetscOptionsObject, "-%s%s %s is out of range: an integer option must lie in [%" PetscInt_FMT ", %" PetscInt_FMT "]", prefix, opt + 1, str, (PetscInt)PETSC_MIN_INT, (PetscInt)PETSC_MAX_INT);
      *value = (PetscInt)v;
    } else PetscCall(PetscOptionsStringToInt(str, value)); /* DEFAULT, DECIDE, or PETSc's message for junk */
  }
  if (set) *set = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode HGOptionsReal_Private(PetscOptionItems *PetscOptionsObject, const char opt[], const char text[], const char man[], PetscReal current, PetscReal *value, PetscBool *set, const char deftext[])
{
  char       shown[64], str[256];
  PetscBool  given;
  const char *prefix = PetscOptionsObject->prefix ? PetscOptionsObject->prefix : "";

  PetscFunctionBegin;
  if (deftext) PetscCall(PetscStrncpy(shown, deftext, sizeof(shown)));
  else PetscCall(PetscSNPrintf(shown, sizeof(shown), "%g", (double)current));
  str[0] = 0;
  PetscCall(PetscOptionsString(opt, text, man, shown, str, sizeof(str), &given));
  if (set) *set = PETSC_FALSE;
  if (!given) PetscFunctionReturn(0);
  if (!str[0]) HGOptionsError(PetscOptionsObject, "-%s%s needs a numeric value (e.g. -%s%s %s); given without one it would be ignored", prefix, opt + 1, prefix, opt + 1, shown);
  PetscCall(PetscOptionsStringToReal(str, value));
  if (set) *set = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* PETSc options an object reads only when it views itself or finishes a solve, or that
   PetscFinalize() reads: legitimately unread when the run starts */
static PetscBool HGOptionReadLater(const char name[])
{
  const char *atend[] = {"options_left", "nox", "nox_warning", "objects_dump", "malloc_dump", "malloc_view", "memory_view", "log_view", "check_pointer_intensity"};
  char        buf[256];
  char       *tok, *save = NULL;

  for (size_t i = 0; i < sizeof(atend) / sizeof(atend[0]); i++)
    if (!strcmp(name, atend[i])) return PETSC_TRUE;
  /* XXX_view..., XXX_converged_reason: KSP, PC, TAO, Mat and Vec viewers read after a solve */
  if (strlen(name) >= sizeof(buf)) return PETSC_FALSE;
  strcpy(buf, name);
  for (tok = strtok_r(buf, "_", &save); tok; tok = strtok_r(NULL, "_", &save)) {
    if (!strcmp(tok, "view")) return PETSC_TRUE;
    if (!strcmp(tok, "converged") && save && !strncmp(save, "reason", 6)) return PETSC_TRUE;
  }
  return PETSC_FALSE;
}

/*@C
  HGOptionsCheckUnused - errors if the options database holds an option that nothing has read,
  so that a misspelt option (-outer_stp, -problm, -resum) never runs with a silent default

  Collective

  Input Parameters:
+ comm    - the communicator of the run
- nallow  - the number of names in allow
- allow   - option names (without the leading -) the application reads later; NULL if none

  Notes:
  Call it after every object has been created and has read its options (the SetFromOptions
  and SetUp calls), before the run starts.  Options PETSc reads only at the end of a solve or
  in PetscFinalize() pass: viewers (any name with a _view component, such as -hg_ksp_view,
  -lower_tao_view, -log_view, -options_view), -..._converged_reason, -options_left, -nox,
  -malloc_dump, -malloc_view, -memory_view, -objects_dump.  Every other unread option is
  listed in one error message.  With -help the check is skipped (-help reads nothing: it lists).

  Level: intermediate

.seealso: PetscOptionsLeft(), PetscOptionsAllUsed()
@*/
PetscErrorCode HGOptionsCheckUnused(MPI_Comm comm, PetscInt nallow, const char *const allow[])
{
  PetscInt  n, nbad = 0;
  char    **names, **values, list[1024] = "";
  PetscBool help;

  PetscFunctionBegin;
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (help) PetscFunctionReturn(0);
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++) {
    PetscBool ok = HGOptionReadLater(names[i]);
    for (PetscInt j = 0; j < nallow && !ok; j++) ok = strcmp(names[i], allow[j]) ? PETSC_FALSE : PETSC_TRUE;
    if (ok) continue;
    if (nbad++ < 8) {
      size_t len = strlen(list);
      PetscCall(PetscSNPrintf(list + len, sizeof(list) - len, "%s-%s%s%s", nbad > 1 ? ", " : "", names[i], values[i] ? " " : "", values[i] ? values[i] : ""));
    }
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscCheck(!nbad, comm, PETSC_ERR_ARG_WRONG, "Unknown option%s %s%s: nothing in this run reads %s (misspelt, or meant for another problem, method or solver?); run with -help to list the options", nbad > 1 ? "s" : "", list, nbad > 8 ? ", ..." : "", nbad > 1 ? "them" : "it");
  PetscFunctionReturn(0);
}
