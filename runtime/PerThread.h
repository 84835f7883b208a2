//===- PerThread.h - per-thread state that lets a model library unload ---*- C++ -*-===//
//
// A `thread_local` object with a destructor makes glibc pin the shared
// library that defines it until every thread that touched it has exited
// (__cxa_thread_atexit_impl); OpenMP's worker threads and the caller's own
// thread never exit, so a compiled model could never be unloaded: a process
// that loads many models one after another (qoptc's mixed-precision trials,
// a Python service swapping models) kept every library, and every thread's
// buffer cache in it, until it exited.
//
// PerThread<T> keeps each thread's T behind a pthread key instead: the key's
// destructor frees a thread's T when the thread exits, and the PerThread's
// own destructor (run by dlclose, or at exit) deletes the key and frees the
// T of every thread still alive. Nothing pins the library.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_PERTHREAD_H
#define QOPT_RUNTIME_PERTHREAD_H

#include <mutex>
#include <pthread.h>
#include <set>

namespace qopt::rt {

template <typename T> class PerThread {
public:
  PerThread() { ok = pthread_key_create(&key, &PerThread::threadExit) == 0; }
  ~PerThread() {
    if (ok)
      pthread_key_delete(key); // no destructor runs after this
    std::lock_guard<std::mutex> lock(mutex);
    for (Node *n : live)
      delete n;
    live.clear();
  }
  PerThread(const PerThread &) = delete;
  PerThread &operator=(const PerThread &) = delete;

  /// The calling thread's T (value-initialised on its first call).
  T &get() {
    if (!ok) {
      // No key could be made (the process holds PTHREAD_KEYS_MAX): a plain
      // thread_local, which pins the library, only in this case.
      static thread_local T fallback{};
      return fallback;
    }
    if (void *p = pthread_getspecific(key))
      return static_cast<Node *>(p)->value;
    Node *n = new Node{this, T()};
    {
      std::lock_guard<std::mutex> lock(mutex);
      live.insert(n);
    }
    pthread_setspecific(key, n);
    return n->value;
  }

private:
  struct Node {
    PerThread *owner;
    T value;
  };
  static void threadExit(void *p) {
    Node *n = static_cast<Node *>(p);
    {
      std::lock_guard<std::mutex> lock(n->owner->mutex);
      n->owner->live.erase(n);
    }
    delete n;
  }

  pthread_key_t key{};
  bool ok = false;
  std::mutex mutex;
  std::set<Node *> live;
};

} // namespace qopt::rt

#endif // QOPT_RUNTIME_PERTHREAD_H
