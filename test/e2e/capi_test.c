/* C ABI test: loads a compiled model with dlopen and checks metadata, a run
 * against an expected .npy-free reference (two runs must agree), concurrent
 * runs from several threads, caller-provided output buffers, and that bad
 * inputs produce error messages rather than crashes, per-instance thread
 * counts, and output buffers freed on another thread after the instance is
 * gone.
 *
 *   QOPT_NUM_THREADS=1 qopt-capi-test model.so
 *       (model: tiny_cnn, input [?,3,32,32] f32; one thread by default, so
 *       that qopt_model_set_num_threads(2) shows as a new OpenMP thread)
 */
#include "qopt-c/Runtime.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD(name) name##_t name = (name##_t)dlsym(lib, #name); \
  if (!name) { fprintf(stderr, "missing %s\n", #name); return 1; }

typedef qopt_model *(*qopt_model_create_t)(void);
typedef void (*qopt_model_destroy_t)(qopt_model *);
typedef size_t (*qopt_model_num_inputs_t)(const qopt_model *);
typedef size_t (*qopt_model_num_outputs_t)(const qopt_model *);
typedef const char *(*qopt_model_input_name_t)(const qopt_model *, size_t);
typedef int32_t (*qopt_model_input_dtype_t)(const qopt_model *, size_t);
typedef int32_t (*qopt_model_input_rank_t)(const qopt_model *, size_t);
typedef const int64_t *(*qopt_model_input_shape_t)(const qopt_model *, size_t);
typedef const char *(*qopt_model_output_name_t)(const qopt_model *, size_t);
typedef int (*qopt_model_run_t)(qopt_model *, const qopt_tensor *, size_t, qopt_tensor *, size_t);
typedef qopt_model_run_t qopt_model_run_device_t;
typedef const char *(*qopt_last_error_t)(void);
typedef void (*qopt_free_t)(void *);
typedef const char *(*qopt_target_t)(void);
typedef qopt_model *(*qopt_model_create_on_device_t)(int);
typedef int (*qopt_model_set_stream_t)(qopt_model *, void *);
typedef double (*qopt_model_last_run_device_ms_t)(const qopt_model *);
typedef size_t (*qopt_model_device_peak_bytes_t)(const qopt_model *);
typedef int (*qopt_model_set_num_threads_t)(qopt_model *, int);
typedef int (*qopt_abi_version_t)(void);

static qopt_model_run_t run_fn;
static qopt_last_error_t err_fn;
static qopt_free_t free_fn;
static qopt_model *model;
static float *input;
static float reference[4 * 10];

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
  fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); ++failures; } } while (0)

static qopt_tensor make_input(int64_t n) {
  qopt_tensor t;
  memset(&t, 0, sizeof t);
  t.data = input;
  t.dtype = QOPT_DTYPE_F32;
  t.rank = 4;
  t.shape[0] = n; t.shape[1] = 3; t.shape[2] = 32; t.shape[3] = 32;
  return t;
}

static void *worker(void *arg) {
  long bad = 0;
  for (int it = 0; it < 20; ++it) {
    qopt_tensor in = make_input(4), out;
    memset(&out, 0, sizeof out);
    if (run_fn(model, &in, 1, &out, 1) != 0) { ++bad; continue; }
    if (memcmp(out.data, reference, sizeof reference) != 0) ++bad;
    free_fn(out.data);
  }
  return (void *)bad;
}

/* Threads of this process (/proc/self/status). */
static int process_threads(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1)
      break;
  if (f) fclose(f);
  return n;
}

static void *free_elsewhere(void *ptr) {
  free_fn(ptr);
  return NULL;
}

static void expect_error(qopt_tensor in, const char *needle) {
  qopt_tensor out;
  memset(&out, 0, sizeof out);
  int rc = run_fn(model, &in, 1, &out, 1);
  CHECK(rc != 0, "bad input accepted (expected '%s')", needle);
  CHECK(strstr(err_fn(), needle) != NULL, "error '%s' lacks '%s'", err_fn(), needle);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s model.so\n", argv[0]); return 2; }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  LOAD(qopt_model_create) LOAD(qopt_model_destroy) LOAD(qopt_model_num_inputs)
  LOAD(qopt_model_num_outputs) LOAD(qopt_model_input_name) LOAD(qopt_model_input_dtype)
  LOAD(qopt_model_input_rank) LOAD(qopt_model_input_shape) LOAD(qopt_model_output_name)
  LOAD(qopt_model_run) LOAD(qopt_last_error) LOAD(qopt_free)
  LOAD(qopt_target) LOAD(qopt_model_create_on_device) LOAD(qopt_model_set_stream)
  LOAD(qopt_model_run_device) LOAD(qopt_model_last_run_device_ms)
  LOAD(qopt_model_device_peak_bytes) LOAD(qopt_model_set_num_threads) LOAD(qopt_abi_version)
  CHECK(qopt_abi_version() == QOPT_ABI_VERSION && QOPT_ABI_VERSION == 3, "ABI version %d",
        qopt_abi_version());
  run_fn = qopt_model_run; err_fn = qopt_last_error; free_fn = qopt_free;

  model = qopt_model_create();
  CHECK(model != NULL, "create failed: %s", qopt_last_error());
  if (!model) return 1;
  CHECK(qopt_model_num_inputs(model) == 1 && qopt_model_num_outputs(model) == 1, "arity");
  CHECK(strcmp(qopt_model_input_name(model, 0), "input") == 0, "input name");
  CHECK(strcmp(qopt_model_output_name(model, 0), "probs") == 0, "output name");
  CHECK(qopt_model_input_dtype(model, 0) == QOPT_DTYPE_F32, "dtype");
  CHECK(qopt_model_input_rank(model, 0) == 4, "rank");
  const int64_t *shape = qopt_model_input_shape(model, 0);
  CHECK(shape[0] == -1 && shape[1] == 3 && shape[2] == 32 && shape[3] == 32, "shape");
  CHECK(qopt_model_input_name(model, 5) == NULL, "out-of-range name must be NULL");

  input = malloc(4 * 3 * 32 * 32 * sizeof(float));
  for (int i = 0; i < 4 * 3 * 32 * 32; ++i) input[i] = (float)sin(i * 0.01);

  /* Library-allocated output. */
  qopt_tensor in = make_input(4), out;
  memset(&out, 0, sizeof out);
  CHECK(qopt_model_run(model, &in, 1, &out, 1) == 0, "run: %s", qopt_last_error());
  CHECK(out.rank == 2 && out.shape[0] == 4 && out.shape[1] == 10, "output shape");
  CHECK(out.dtype == QOPT_DTYPE_F32, "output dtype");
  memcpy(reference, out.data, sizeof reference);
  float sum = 0;
  for (int j = 0; j < 10; ++j) sum += reference[j];
  CHECK(fabsf(sum - 1.0f) < 1e-5f, "softmax row sums to %f", sum);
  /* The buffer the generated code wrote, handed over: the runtime
   * allocator's 64-byte aligned payload, exactly the output's size. */
  CHECK(((uintptr_t)out.data & 63) == 0 && out.capacity == sizeof reference,
        "handed-over output %p, capacity %zu", out.data, out.capacity);
  qopt_free(out.data);

  /* Per-instance threads: QOPT_NUM_THREADS=1 gave one thread so far; 2 for
   * this instance starts OpenMP workers, with the same result. */
  CHECK(process_threads() == 1, "%d threads with QOPT_NUM_THREADS=1", process_threads());
  CHECK(qopt_model_set_num_threads(model, -1) != 0 &&
            strstr(qopt_last_error(), "-1 is not a thread count") != NULL,
        "set_num_threads(-1): %s", qopt_last_error());
  CHECK(qopt_model_set_num_threads(model, 5000) != 0, "set_num_threads(5000) accepted");
  CHECK(qopt_model_set_num_threads(NULL, 1) != 0, "set_num_threads(NULL) accepted");
  CHECK(qopt_model_set_num_threads(model, 2) == 0, "set_num_threads(2): %s", qopt_last_error());
  memset(&out, 0, sizeof out);
  CHECK(qopt_model_run(model, &in, 1, &out, 1) == 0, "2-thread run: %s", qopt_last_error());
  CHECK(process_threads() == 2, "%d threads after a 2-thread run", process_threads());
  CHECK(out.data && memcmp(out.data, reference, sizeof reference) == 0,
        "2-thread output differs");
  qopt_free(out.data);
  CHECK(qopt_model_set_num_threads(model, 0) == 0, "set_num_threads(0): %s", qopt_last_error());

  /* Caller-provided buffers: too small fails with the needed shape, big enough works. */
  float buf[40];
  memset(&out, 0, sizeof out);
  out.data = buf; out.capacity = 8;
  CHECK(qopt_model_run(model, &in, 1, &out, 1) != 0, "small buffer accepted");
  CHECK(strstr(qopt_last_error(), "needs 160 bytes") != NULL, "error: %s", qopt_last_error());
  CHECK(out.shape[0] == 4 && out.shape[1] == 10, "needed shape reported");
  out.capacity = sizeof buf;
  CHECK(qopt_model_run(model, &in, 1, &out, 1) == 0, "run into buffer: %s", qopt_last_error());
  CHECK(memcmp(buf, reference, sizeof buf) == 0, "buffer output differs");

  /* Bad inputs. */
  qopt_tensor bad = make_input(4);
  bad.dtype = QOPT_DTYPE_F64; expect_error(bad, "expected dtype f32, got f64");
  bad = make_input(4); bad.rank = 3; expect_error(bad, "expected rank 4, got 3");
  bad = make_input(4); bad.shape[2] = 31; expect_error(bad, "expected shape [?,3,32,32], got [4,3,31,32]");
  bad = make_input(4); bad.data = NULL; expect_error(bad, "data is NULL");
  bad = make_input(-1); expect_error(bad, "expected shape");
  /* A batch whose byte size overflows: refused before anything reads it. */
  bad = make_input(INT64_MAX / 1024); expect_error(bad, "has more bytes than an address space holds");
  bad = make_input(INT64_MAX / 3072 / 2); /* elements fit, bytes do not */ expect_error(bad, "has more bytes than an address space holds");
  memset(&out, 0, sizeof out);
  CHECK(qopt_model_run(model, &in, 2, &out, 1) != 0, "wrong input count accepted");
  CHECK(qopt_model_run(NULL, &in, 1, &out, 1) != 0, "NULL model accepted");

  /* Concurrent runs on one instance agree with the reference. */
  pthread_t th[4];
  for (int i = 0; i < 4; ++i) pthread_create(&th[i], NULL, worker, NULL);
  for (int i = 0; i < 4; ++i) {
    void *r;
    pthread_join(th[i], &r);
    CHECK(r == NULL, "thread %d: %ld bad runs", i, (long)r);
  }
  /* ABI 2 on a CPU model: the GPU entry points refuse with a reason. */
  CHECK(strcmp(qopt_target(), "cpu") == 0, "target %s", qopt_target());
  CHECK(qopt_model_set_stream(model, NULL) == 0, "set_stream(NULL): %s", qopt_last_error());
  CHECK(qopt_model_set_stream(model, (void *)1) != 0 &&
            strstr(qopt_last_error(), "compiled for the CPU") != NULL,
        "set_stream on a CPU model: %s", qopt_last_error());
  memset(&out, 0, sizeof out);
  out.data = buf; out.capacity = sizeof buf;
  CHECK(qopt_model_run_device(model, &in, 1, &out, 1) != 0 &&
            strstr(qopt_last_error(), "takes host tensors") != NULL,
        "run_device on a CPU model: %s", qopt_last_error());
  CHECK(qopt_model_last_run_device_ms(model) == -1, "device ms on the CPU");
  CHECK(qopt_model_device_peak_bytes(model) == 0, "device bytes on the CPU");
  qopt_model *other = qopt_model_create_on_device(1);
  CHECK(other == NULL && strstr(qopt_last_error(), "there is no device 1") != NULL,
        "create_on_device(1): %s", qopt_last_error());
  other = qopt_model_create_on_device(0);
  CHECK(other != NULL, "create_on_device(0): %s", qopt_last_error());
  /* An output outlives its instance and may be freed on another thread. */
  memset(&out, 0, sizeof out);
  CHECK(other && qopt_model_run(other, &in, 1, &out, 1) == 0, "run: %s", qopt_last_error());
  qopt_model_destroy(other);
  CHECK(out.data && memcmp(out.data, reference, sizeof reference) == 0,
        "output after destroy differs");
  pthread_t freer;
  pthread_create(&freer, NULL, free_elsewhere, out.data);
  pthread_join(freer, NULL);

  qopt_model_destroy(model);
  free(input);
  printf("%s (%d failures)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
