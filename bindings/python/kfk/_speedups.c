/* The producer's two hot paths in C, with the Python C API: producing a
 * record with a value and no key, headers or timestamp, and serving the
 * delivery reports a poll collected. Through cffi each costs a
 * conversion per argument or per field; here a record costs one call.
 * Everything else goes through cffi (kfk._kfk). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <kfk.h>

#include "_kfkpy.h"

/* Opaque numbers for records with a callback: unique in the process, so
 * unique in each producer's pending dict. Taken under the GIL. */
static uint64_t next_opaque;

/* A pending entry (topic, key, value, cb), kept from the garbage
 * collector's lists: a producer holds one per record in flight, hundreds of
 * thousands, which every full collection would walk. It cannot be part of
 * a cycle (nothing refers to it but the pending dict, which drops it when
 * the report is served), so its references count is all it needs. */
static PyObject *pending_entry(PyObject *topic, PyObject *key, PyObject *value, PyObject *cb)
{
    PyObject *entry = PyTuple_Pack(4, topic, key, value, cb);
    if (entry && PyObject_GC_IsTracked(entry)) PyObject_GC_UnTrack(entry);
    return entry;
}

/* add_pending(pending, opaque, topic, key, value, cb): pending[opaque] =
 * (topic, key, value, cb), for records produced through cffi. */
static PyObject *add_pending(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 6 || !PyDict_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "add_pending(pending, opaque, topic, key, value, cb)");
        return NULL;
    }
    PyObject *entry = pending_entry(args[2], args[3], args[4], args[5]);
    if (!entry) return NULL;
    int rc = PyDict_SetItem(args[0], args[1], entry);
    Py_DECREF(entry);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

/* produce_value(producer, topic_bytes, partition, value, pending, topic, cb)
 * -> kfk_err. producer: the kfk_producer's address; topic_bytes: the
 * topic's bytes (NUL-terminated, as bytes objects are); value: bytes or
 * None; cb: the delivery callback or None. With a callback, pending gets
 * opaque -> (topic, None, value, cb) for the report (and loses it again
 * when kfk_produce fails). kfk_produce may wait (metadata, a full buffer,
 * up to max.block.ms), so the GIL goes meanwhile. */
static PyObject *produce_value(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 7 || !PyBytes_Check(args[1]) || !PyDict_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "produce_value(producer, topic_bytes, partition, "
                                         "value, pending, topic, cb)");
        return NULL;
    }
    kfk_producer *p = PyLong_AsVoidPtr(args[0]);
    long partition = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    PyObject *value = args[3], *pending = args[4], *cb = args[6];
    kfk_record rec = {.topic = PyBytes_AS_STRING(args[1]), .partition = (int32_t)partition};
    if (value != Py_None) {
        if (!PyBytes_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "value must be bytes");
            return NULL;
        }
        rec.value = PyBytes_AS_STRING(value);
        rec.value_len = (size_t)PyBytes_GET_SIZE(value);
    }
    uintptr_t opaque = 0;
    PyObject *key = NULL;
    if (cb != Py_None) {
        opaque = (uintptr_t)++next_opaque;
        key = PyLong_FromSize_t(opaque);
        PyObject *entry = key ? pending_entry(args[5], Py_None, value, cb) : NULL;
        int rc = entry ? PyDict_SetItem(pending, key, entry) : -1;
        Py_XDECREF(entry);
        if (rc < 0) {
            Py_XDECREF(key);
            return NULL;
        }
    }
    kfk_err err;
    Py_BEGIN_ALLOW_THREADS
    err = kfk_produce(p, &rec, (void *)opaque);
    Py_END_ALLOW_THREADS
    if (key) {
        if (err && PyDict_DelItem(pending, key) < 0) PyErr_Clear();
        Py_DECREF(key);
    }
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

/* serve(h, pending, Message, KafkaError) -> reports served
 * Calls each report's callback (err, msg) with err None or KafkaError(code),
 * taking its entry out of pending. A callback that raises stops the
 * serving with its exception; the reports after it stay for the next. */
static PyObject *serve(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 4 || !PyDict_Check(args[1]) || !PyType_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "serve(h, pending, Message, KafkaError)");
        return NULL;
    }
    kfkpy_h *h = PyLong_AsVoidPtr(args[0]);
    if (!h) return NULL;
    PyObject *pending = args[1], *error_type = args[3];
    PyTypeObject *msg_type = (PyTypeObject *)args[2];
    size_t served = 0;
    while (h->dr_next < h->n_dr) {
        size_t i = h->dr_next++;
        served++;
        if (!h->dr_opaque[i]) continue; /* produced without a callback */
        PyObject *key = PyLong_FromSize_t(h->dr_opaque[i]);
        if (!key) return NULL;
        PyObject *entry = PyDict_GetItemWithError(pending, key);
        if (!entry) {
            Py_DECREF(key);
            if (PyErr_Occurred()) return NULL;
            continue;
        }
        Py_INCREF(entry);
        int rc = PyDict_DelItem(pending, key);
        Py_DECREF(key);
        if (rc < 0 || !PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 4) {
            Py_DECREF(entry);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "bad pending entry");
            return NULL;
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

static PyMethodDef methods[] = {
    {"produce_value", (PyCFunction)(void (*)(void))produce_value, METH_FASTCALL,
     "kfk_produce of a value-only record"},
    {"add_pending", (PyCFunction)(void (*)(void))add_pending, METH_FASTCALL,
     "records a pending delivery"},
    {"serve", (PyCFunction)(void (*)(void))serve, METH_FASTCALL, "serves delivery reports"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "kfk._speedups", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
