/*===- qopt-c/Runtime.h - C ABI of models compiled by qoptc -------*- C -*-===*\
|*                                                                            *|
|* Every shared library written by `qoptc` exports these functions. A model   *|
|* instance is created once and run any number of times.                      *|
|*                                                                            *|
|* Thread safety: qopt_model_run may be called concurrently from several      *|
|* threads on the same instance (generated code keeps no mutable global       *|
|* state; every call allocates its own intermediates; a GPU model gives each  *|
|* call its own stream and stream-ordered allocations). The error string is   *|
|* per thread. qopt_model_destroy must not race with a run on that instance.  *|
|*                                                                            *|
|* GPU models (qoptc --target=cuda) export the same functions. They load the  *|
|* CUDA driver (libcuda.so.1) with dlopen in qopt_model_create, which fails   *|
|* with a message when there is no driver or device.                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QOPT_C_RUNTIME_H
#define QOPT_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QOPT_ABI_VERSION 3
/** The largest rank a model input or output may have. */
#define QOPT_MAX_RANK 16

/** Element types, as ONNX names them. */
typedef enum qopt_dtype {
  QOPT_DTYPE_INVALID = 0,
  QOPT_DTYPE_F32 = 1,
  QOPT_DTYPE_F64 = 2,
  QOPT_DTYPE_F16 = 3,
  QOPT_DTYPE_BF16 = 4,
  QOPT_DTYPE_I8 = 5,
  QOPT_DTYPE_I16 = 6,
  QOPT_DTYPE_I32 = 7,
  QOPT_DTYPE_I64 = 8,
  QOPT_DTYPE_U8 = 9,
  QOPT_DTYPE_U16 = 10,
  QOPT_DTYPE_U32 = 11,
  QOPT_DTYPE_U64 = 12,
  QOPT_DTYPE_BOOL = 13 /* one byte per element, 0 or 1 */
} qopt_dtype;

/** A dense, row-major tensor passed to or returned by qopt_model_run. */
typedef struct qopt_tensor {
  void *data;          /* element storage (row-major, contiguous) */
  size_t capacity;     /* outputs only: bytes available at data */
  int32_t dtype;       /* a qopt_dtype */
  int32_t rank;
  int64_t shape[QOPT_MAX_RANK];
} qopt_tensor;

typedef struct qopt_model qopt_model;

/** ABI version of this library (QOPT_ABI_VERSION when it was built). */
int qopt_abi_version(void);

/** What the library was compiled for: "cpu" or "cuda". */
const char *qopt_target(void);

/** Creates a model instance; NULL on failure (see qopt_last_error). A GPU
 *  model uses device QOPT_CUDA_DEVICE (default 0). */
qopt_model *qopt_model_create(void);
/** The same on GPU `device` (a CUDA device ordinal; -1: the default). A CPU
 *  model accepts only -1 and 0. */
qopt_model *qopt_model_create_on_device(int device);
void qopt_model_destroy(qopt_model *model);

size_t qopt_model_num_inputs(const qopt_model *model);
size_t qopt_model_num_outputs(const qopt_model *model);
/** Name, dtype, rank and shape (-1 for a dynamic dim) of input/output i.
 *  Returned pointers live as long as the model. Out-of-range i gives NULL,
 *  QOPT_DTYPE_INVALID or -1. */
const char *qopt_model_input_name(const qopt_model *model, size_t i);
int32_t qopt_model_input_dtype(const qopt_model *model, size_t i);
int32_t qopt_model_input_rank(const qopt_model *model, size_t i);
const int64_t *qopt_model_input_shape(const qopt_model *model, size_t i);
const char *qopt_model_output_name(const qopt_model *model, size_t i);
int32_t qopt_model_output_dtype(const qopt_model *model, size_t i);
int32_t qopt_model_output_rank(const qopt_model *model, size_t i);
const int64_t *qopt_model_output_shape(const qopt_model *model, size_t i);

/** Runs the model.
 *  inputs: one per model input, in order; dtype, rank and static dims must
 *  match the model's.
 *  outputs: one per model output. rank and shape are always written. If
 *  data is NULL the library gives the caller a buffer holding the output
 *  (on the CPU the one the generated code wrote, not a copy; free it with
 *  qopt_free, from any thread, also after the instance is destroyed) and
 *  sets capacity; otherwise the output is copied into data, which must hold
 *  capacity >= the output's byte size (if not, the call fails and shape
 *  tells the size needed). dtype is written. Buffers freed with qopt_free
 *  are cached and given out again (no page faults on the next run of the
 *  same shapes); a caller that passes its own buffers gets one copy.
 *  Returns 0 on success, non-zero on error (see qopt_last_error). */
int qopt_model_run(qopt_model *model, const qopt_tensor *inputs,
                   size_t num_inputs, qopt_tensor *outputs, size_t num_outputs);

/** Threads this instance's runs use on the CPU: n >= 1, or 0 for the
 *  default (QOPT_NUM_THREADS, else the model's compiled --threads, else
 *  every core). It wins over QOPT_NUM_THREADS and holds for runs that start
 *  after the call. GPU models accept it and run their host side on the
 *  calling thread. Returns 0, or non-zero for n < 0 or n > 4096. */
int qopt_model_set_num_threads(qopt_model *model, int n);

/** Runs a GPU model on tensors that are already in device memory: every
 *  data pointer is a CUdeviceptr on the instance's device, and every output
 *  must have data and capacity set (nothing is allocated for the caller).
 *  The run is on the instance's own stream (or the one set with
 *  qopt_model_set_stream): work the caller queued on another stream that
 *  writes the inputs must be finished (synchronized) first. Returns when the
 *  results are written. A CPU model refuses it. */
int qopt_model_run_device(qopt_model *model, const qopt_tensor *inputs,
                          size_t num_inputs, qopt_tensor *outputs, size_t num_outputs);

/** GPU models: later runs on this instance use `stream` (a CUstream of the
 *  instance's device, e.g. the primary context's) instead of the instance's
 *  own streams; NULL goes back to them. Runs still wait for their results.
 *  A CPU model accepts only NULL. */
int qopt_model_set_stream(qopt_model *model, void *stream);

/** GPU models: device time of the calling thread's last run of `model`, in
 *  milliseconds, measured with CUDA events around the kernels (inputs and
 *  outputs copies included); -1 for CPU models or before any run. */
double qopt_model_last_run_device_ms(const qopt_model *model);
/** GPU models: the most device memory the instance's runs have held at once
 *  (intermediates, results and input copies; the kernels' modules and
 *  weights not counted); 0 for CPU models. */
size_t qopt_model_device_peak_bytes(const qopt_model *model);

/** The calling thread's last error message ("" if none). */
const char *qopt_last_error(void);

/** Frees an output buffer that qopt_model_run gave the caller. */
void qopt_free(void *ptr);

/** Byte size of one element of a dtype (0 for invalid). */
size_t qopt_dtype_size(int32_t dtype);
/** Lower-case name ("f32", "u8", "bool", ...); "invalid" for bad values. */
const char *qopt_dtype_name(int32_t dtype);
/** Inverse of qopt_dtype_name; QOPT_DTYPE_INVALID for unknown names. */
int32_t qopt_dtype_from_name(const char *name);

/** Calibration support (qoptc's own calibration run; not for applications).
 *  A library compiled with observers inside control flow (If branches,
 *  Loop/Scan bodies, recurrences) calls the observer for every value such an
 *  observer sees, on the thread running the model, with a dense row-major
 *  copy of the value: `index` numbers the observer (the compiler's
 *  `qopt.region_observers` order). One observer per library (a process-wide
 *  setting of that library); NULL removes it. Libraries without such
 *  observers export the function too and never call it. */
typedef void (*qopt_observe_fn)(void *user, int64_t index, const float *data,
                                int32_t rank, const int64_t *shape);
void qopt_calibration_set_observer(qopt_observe_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_C_RUNTIME_H */
