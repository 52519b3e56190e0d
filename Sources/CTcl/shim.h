#ifndef CTCL_SHIM_H
#define CTCL_SHIM_H

// Tcl's C API as KafkaKitTcl uses it. The package links libtcl8.6 directly (no stubs table),
// so Tcl's functions are plain C functions Swift can call; what Tcl provides only as macros,
// and the one struct Swift cannot lay out, is wrapped here.
#include <tcl.h>
#include <stdlib.h>

static inline void ctcl_incr_ref(Tcl_Obj *obj) { Tcl_IncrRefCount(obj); }
static inline void ctcl_decr_ref(Tcl_Obj *obj) { Tcl_DecrRefCount(obj); }
static inline int ctcl_is_shared(Tcl_Obj *obj) { return Tcl_IsShared(obj); }

// A Tcl event carrying one opaque pointer: Tcl frees the event after its proc returns 1.
typedef struct {
    Tcl_Event header;
    void *context;
} CTclEvent;

static inline void *ctcl_event_context(Tcl_Event *event) { return ((CTclEvent *)event)->context; }

// Queues an event for `thread` (any thread may call this) and wakes that thread's notifier,
// so a `vwait` or `update` there runs `proc`.
static inline void ctcl_queue_event(Tcl_ThreadId thread, Tcl_EventProc *proc, void *context) {
    CTclEvent *event = (CTclEvent *)Tcl_Alloc(sizeof(CTclEvent));
    event->header.proc = proc;
    event->header.nextPtr = NULL;
    event->context = context;
    Tcl_ThreadQueueEvent(thread, &event->header, TCL_QUEUE_TAIL);
    Tcl_ThreadAlert(thread);
}

#endif
