/* The producer's two hot paths in C, with the Python C API: producing a
 * record with a value and no key, headers or timestamp, and serving the
 * delivery reports a poll collected. Through cffi each costs a
 * conversion per argument or per field; here a record costs one call.
 * Everything else goes through cffi (kfk._kfk). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <kfk.h>

#include "_kfkpy.h"

/* A record with a delivery callback carries, as its kfk opaque, a pointer
 * to its pending entry (topic, key, value, cb): a tuple whose reference
 * kfk holds until the report is served, which takes it back. No lookup
 * table: the report leads straight to its entry.
 *
 * The entry is kept off the garbage collector's lists: a producer holds
 * one per record in flight, hundreds of thousands, which every full
 * collection would walk, and it cannot be part of a cycle (only kfk
 * refers to it). */
static PyObject *pending_entry(PyObject *topic, PyObject *key, PyObject *value, PyObject *cb)
{
    PyObject *entry = PyTuple_Pack(4, topic, key, value, cb);
    if (entry && PyObject_GC_IsTracked(entry)) PyObject_GC_UnTrack(entry);
    return entry;
}

static kfkpy_h *h_arg(PyObject *o)
{
    kfkpy_h *h = PyLong_AsVoidPtr(o);
    if (!h && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no handle");
    return h;
}

/* add_pending(h, topic, key, value, cb) -> opaque: a new pending entry,
 * for records produced through cffi; give it to kfk_produce, or back to
 * drop_pending when kfk_produce fails. */
static PyObject *add_pending(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "add_pending(h, topic, key, value, cb)");
        return NULL;
    }
    kfkpy_h *h = h_arg(args[0]);
    if (!h) return NULL;
    PyObject *entry = pending_entry(args[1], args[2], args[3], args[4]);
    if (!entry) return NULL;
    return PyLong_FromVoidPtr(entry);
}

/* drop_pending(h, opaque): an entry kfk_produce did not take. */
static PyObject *drop_pending(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "drop_pending(h, opaque)");
        return NULL;
    }
    kfkpy_h *h = h_arg(args[0]);
    PyObject *entry = PyLong_AsVoidPtr(args[1]);
    if (!h || !entry) return NULL;
    Py_DECREF(entry);
    Py_RETURN_NONE;
}

/* produce_value(producer, topic_bytes, partition, value, h, topic, cb)
 * -> kfk_err. producer and h: addresses; topic_bytes: the topic's bytes
 * (NUL-terminated, as bytes objects are); value: bytes or None; cb: the
 * delivery callback or None. kfk_produce may wait (metadata, a full
 * buffer, up to max.block.ms), so the GIL goes meanwhile. */
static PyObject *produce_value(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 7 || !PyBytes_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "produce_value(producer, topic_bytes, partition, "
                                         "value, h, topic, cb)");
        return NULL;
    }
    kfk_producer *p = PyLong_AsVoidPtr(args[0]);
    long partition = PyLong_AsLong(args[2]);
    kfkpy_h *h = PyLong_AsVoidPtr(args[4]);
    if (PyErr_Occurred()) return NULL;
    if (partition < INT32_MIN || partition > INT32_MAX) {
        PyErr_Format(PyExc_OverflowError, "partition %ld is outside int32", partition);
        return NULL;
    }
    PyObject *value = args[3], *cb = args[6];
    kfk_record rec = {.topic = PyBytes_AS_STRING(args[1]), .partition = (int32_t)partition};
    if (value != Py_None) {
        if (!PyBytes_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "value must be bytes");
            return NULL;
        }
        rec.value = PyBytes_AS_STRING(value);
        rec.value_len = (size_t)PyBytes_GET_SIZE(value);
    }
    PyObject *entry = NULL;
    if (cb != Py_None) {
        if (!h) {
            PyErr_SetString(PyExc_ValueError, "no handle");
            return NULL;
        }
        entry = pending_entry(args[5], Py_None, value, cb);
        if (!entry) return NULL;
    }
    kfk_err err;
    Py_BEGIN_ALLOW_THREADS
    err = kfk_produce(p, &rec, entry);
    Py_END_ALLOW_THREADS
    if (entry && err) Py_DECREF(entry);
    return PyLong_FromLong(err);
}

/* One delivered Message: (topic, key, value, callback, partition, offset,
 * timestamp, error code), from the pending entry (topic, key, value,
 * callback) and report i. */
static PyObject *delivered(PyTypeObject *msg_type, PyObject *entry, kfkpy_h *h, size_t i)
{
    PyObject *m = msg_type->tp_alloc(msg_type, 8);
    if (!m) return NULL;
    for (Py_ssize_t k = 0; k < 4; k++) {
        PyObject *o = PyTuple_GET_ITEM(entry, k);
        Py_INCREF(o);
        PyTuple_SET_ITEM(m, k, o);
    }
    PyObject *part = PyLong_FromLong(h->dr_partition[i]);
    PyObject *off = PyLong_FromLongLong(h->dr_offset[i]);
    PyObject *ts = PyLong_FromLongLong(h->dr_timestamp[i]);
    PyObject *err = PyLong_FromLong(h->dr_err[i]);
    if (!part || !off || !ts || !err) {
        Py_XDECREF(part), Py_XDECREF(off), Py_XDECREF(ts), Py_XDECREF(err);
        Py_DECREF(m);
        return NULL;
    }
    PyTuple_SET_ITEM(m, 4, part);
    PyTuple_SET_ITEM(m, 5, off);
    PyTuple_SET_ITEM(m, 6, ts);
    PyTuple_SET_ITEM(m, 7, err);
    return m;
}

/* serve(h, Message, KafkaError) -> reports served
 * Calls each report's callback (err, msg) with err None or KafkaError(code),
 * taking back its pending entry. A callback that raises stops the serving
 * with its exception; the reports after it stay for the next. */
static PyObject *serve(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 3 || !PyType_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "serve(h, Message, KafkaError)");
        return NULL;
    }
    kfkpy_h *h = h_arg(args[0]);
    if (!h) return NULL;
    PyObject *error_type = args[2];
    PyTypeObject *msg_type = (PyTypeObject *)args[1];
    size_t served = 0;
    while (h->dr_next < h->n_dr) {
        size_t i = h->dr_next++;
        served++;
        PyObject *entry = (PyObject *)h->dr_opaque[i]; /* kfk's reference, now ours */
        if (!entry) continue; /* produced without a callback */
        if (PyTuple_GET_ITEM(entry, 3) == Py_None) { /* an entry for interceptors only */
            Py_DECREF(entry);
            continue;
        }
        PyObject *m = delivered(msg_type, entry, h, i);
        Py_DECREF(entry);
        if (!m) return NULL;
        PyObject *err = Py_None;
        Py_INCREF(err);
        if (h->dr_err[i]) {
            Py_DECREF(err);
            err = PyObject_CallFunction(error_type, "i", (int)h->dr_err[i]);
            if (!err) {
                Py_DECREF(m);
                return NULL;
            }
        }
        PyObject *cb_args[2] = {err, m};
        PyObject *r = PyObject_Vectorcall(PyTuple_GET_ITEM(m, 3), cb_args, 2, NULL);
        Py_DECREF(err);
        Py_DECREF(m);
        if (!r) return NULL;
        Py_DECREF(r);
    }
    h->n_dr = h->dr_next = 0;
    return PyLong_FromSize_t(served);
}

/* pending_get(opaque) -> (topic, key, value, cb) or None: the pending
 * entry a report's opaque points to, still kfk's (for interceptors'
 * acknowledgements, which come before the report is served). */
static PyObject *pending_get(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *entry = PyLong_AsVoidPtr(arg);
    if (!entry) {
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NONE;
    }
    Py_INCREF(entry);
    return entry;
}

/* discard(h): gives back the entries of reports not served (a producer
 * destroyed without close), without calling their callbacks. */
static PyObject *discard(PyObject *self, PyObject *arg)
{
    (void)self;
    kfkpy_h *h = h_arg(arg);
    if (!h) return NULL;
    for (size_t i = h->dr_next; i < h->n_dr; i++) {
        PyObject *entry = (PyObject *)h->dr_opaque[i];
        Py_XDECREF(entry);
    }
    h->n_dr = h->dr_next = 0;
    Py_RETURN_NONE;
}

/* Producer.produce, bound to one producer's state, for the common case:
 * a topic seen before, a bytes value (or None), no key, headers or
 * timestamp. Anything else goes to the Python method (fallback), and an
 * error to raise_error. self is the state tuple (topics: dict str ->
 * bytes, [producer address], handle address, default callback, fallback,
 * raise_error). */
static const char *const produce_kw[] = {"topic",   "value",     "key",     "partition",
                                         "on_delivery", "timestamp", "headers", "callback"};
#define PRODUCE_NARGS 8

static PyObject *bound_produce(PyObject *self, PyObject *const *args, size_t nargsf,
                               PyObject *kwnames)
{
    Py_ssize_t npos = PyVectorcall_NARGS(nargsf);
    PyObject *a[PRODUCE_NARGS] = {NULL};
    PyObject *fallback = PyTuple_GET_ITEM(self, 4);
    if (npos > PRODUCE_NARGS) goto slow;
    for (Py_ssize_t i = 0; i < npos; i++)
        a[i] = args[i];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int found = 0;
        for (int j = 0; j < PRODUCE_NARGS && !found; j++)
            if (PyUnicode_CompareWithASCIIString(name, produce_kw[j]) == 0) {
                if (a[j]) goto slow; /* given twice: Python says so */
                a[j] = args[npos + k];
                found = 1;
            }
        if (!found) goto slow;
    }
    PyObject *topic = a[0], *value = a[1] ? a[1] : Py_None;
    if (!topic || (a[2] && a[2] != Py_None) || (a[6] && a[6] != Py_None) ||
        (a[5] && !(PyLong_CheckExact(a[5]) && PyObject_Not(a[5]) == 1)) ||
        (value != Py_None && !PyBytes_CheckExact(value)))
        goto slow;
    PyObject *tbytes = PyDict_GetItemWithError(PyTuple_GET_ITEM(self, 0), topic);
    if (!tbytes) {
        if (PyErr_Occurred()) return NULL;
        goto slow;
    }
    long partition = -1;
    if (a[3]) {
        partition = PyLong_AsLong(a[3]);
        if (partition == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            goto slow;
        }
    }
    PyObject *cb = a[4] && a[4] != Py_None ? a[4] : NULL;
    if (!cb) cb = a[7] && a[7] != Py_None ? a[7] : NULL;
    if (!cb) cb = PyTuple_GET_ITEM(self, 3);
    PyObject *addr = PyList_GET_ITEM(PyTuple_GET_ITEM(self, 1), 0);
    PyObject *pv[7] = {addr, tbytes, NULL, value, PyTuple_GET_ITEM(self, 2), topic, cb};
    PyObject *part = PyLong_FromLong(partition);
    if (!part) return NULL;
    pv[2] = part;
    PyObject *r = produce_value(NULL, pv, 7);
    Py_DECREF(part);
    if (!r) return NULL;
    long err = PyLong_AsLong(r);
    Py_DECREF(r);
    if (err == 0) Py_RETURN_NONE;
    PyObject *code = PyLong_FromLong(err);
    if (!code) return NULL;
    r = PyObject_CallOneArg(PyTuple_GET_ITEM(self, 5), code); /* raises */
    Py_DECREF(code);
    return r;
slow:
    return PyObject_Vectorcall(fallback, args, nargsf, kwnames);
}

static PyMethodDef bound_produce_def = {"produce", (PyCFunction)(void (*)(void))bound_produce,
                                        METH_FASTCALL | METH_KEYWORDS, NULL};

/* bind_produce(state) -> a produce function over state (see bound_produce). */
static PyObject *bind_produce(PyObject *self, PyObject *state)
{
    (void)self;
    if (!PyTuple_Check(state) || PyTuple_GET_SIZE(state) != 6 ||
        !PyDict_Check(PyTuple_GET_ITEM(state, 0)) || !PyList_Check(PyTuple_GET_ITEM(state, 1))) {
        PyErr_SetString(PyExc_TypeError, "bind_produce((topics, [addr], h, cb, fallback, raise_error))");
        return NULL;
    }
    return PyCFunction_New(&bound_produce_def, state);
}

static PyMethodDef methods[] = {
    {"bind_produce", bind_produce, METH_O, "a produce function bound to a producer's state"},
    {"produce_value", (PyCFunction)(void (*)(void))produce_value, METH_FASTCALL,
     "kfk_produce of a value-only record"},
    {"add_pending", (PyCFunction)(void (*)(void))add_pending, METH_FASTCALL,
     "a pending delivery entry for kfk_produce's opaque"},
    {"drop_pending", (PyCFunction)(void (*)(void))drop_pending, METH_FASTCALL,
     "gives back an entry kfk_produce did not take"},
    {"pending_get", pending_get, METH_O, "the pending entry a report's opaque points to"},
    {"discard", discard, METH_O, "gives back the entries of reports not served"},
    {"serve", (PyCFunction)(void (*)(void))serve, METH_FASTCALL, "serves delivery reports"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "kfk._speedups", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
