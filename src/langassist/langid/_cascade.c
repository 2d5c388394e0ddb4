/* Compiled per-call path of the text language ID cascade (langassist.langid.ensemble).
 *
 * One call of Cascade.run() does, for one text, what TextLanguageEnsemble._evidence and
 * _distribution do in Python: word keys and their lexicon rows, the summed lexicon
 * log-likelihoods, py3langid's naive Bayes scores (its byte automaton walked here), each
 * stage's weighted sum and bias, the softmax margin check, and the ranked distribution.
 * Sources it cannot compute (lingua, any other backend) are asked of the caller: run()
 * returns the slot number, the caller fills extras[slot] and calls again.
 *
 * The arithmetic follows the Python path step by step (float32 where numpy computes in
 * float32, the same order of operations), so results agree with it up to float rounding;
 * tests/unit/test_langid_native.py compares the two. No numpy C API: arrays arrive
 * through the buffer protocol, already C-contiguous and of the documented types.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define ABI_VERSION 1
#define N_BUCKETS 4
#define MAX_SLOTS 8
#define MAX_LANG 256     /* languages (and py3langid classes): work arrays live on the stack */
#define STACK_HITS 1024  /* automaton hits kept on the stack; a longer text allocates */

static const uint64_t P1 = 2147483647ULL; /* 2**31 - 1, as langassist.langid.lexicon */
static const uint64_t P2 = 2147483629ULL;
#define PREFIX_BITS 18  /* keys are below 2**62: the top 18 bits index a bucket table */
#define PREFIX_SHIFT (62 - PREFIX_BITS)

typedef struct {
    int n_slots;
    int slots[MAX_SLOTS];
    double weights[N_BUCKETS][MAX_SLOTS];
    double *bias;            /* N_BUCKETS x n_lang */
    double margin[N_BUCKETS];
} Stage;

typedef struct {
    PyObject_HEAD
    int n_lang;
    PyObject *languages;     /* tuple of str */
    int lexicon_slot;        /* -1: no lexicon */
    Py_buffer table;         /* float32 (n_rows, n_lang) */
    Py_buffer keys;          /* int64 (n_words,), ascending */
    Py_buffer row_ids;       /* int32 (n_words,) */
    Py_ssize_t *prefix;      /* 2**PREFIX_BITS + 1: first key index of each top-bits bucket */
    int py3_slot;            /* -1: no py3langid */
    Py_buffer nextmove;      /* uint32 */
    Py_buffer rowbase;       /* int64 */
    Py_buffer output;        /* int64, feature per state or -1 */
    Py_buffer nb_ptc;        /* float32 (n_features, n_py3) */
    Py_buffer nb_pc;         /* float32 (n_py3,) */
    int n_py3;
    Py_ssize_t *py3_align;   /* n_lang: column of each language in py3langid, -1 none */
    int n_stages;
    Stage *stages;
    int bucket_limits[N_BUCKETS - 1];
    PyObject *normalize;     /* unicodedata.normalize */
    double floor_log_p;
    double min_p;
    int top_n;
} Cascade; /* read-only after __init__: run() keeps its work on the stack, so threads may share one */

static void release(Py_buffer *view) {
    if (view->obj != NULL) PyBuffer_Release(view);
}

static void Cascade_dealloc(Cascade *self) {
    Py_XDECREF(self->languages);
    Py_XDECREF(self->normalize);
    release(&self->table);
    release(&self->keys);
    release(&self->row_ids);
    release(&self->nextmove);
    release(&self->rowbase);
    release(&self->output);
    release(&self->nb_ptc);
    release(&self->nb_pc);
    PyMem_Free(self->py3_align);
    PyMem_Free(self->prefix);
    if (self->stages != NULL) {
        for (int i = 0; i < self->n_stages; i++) PyMem_Free(self->stages[i].bias);
        PyMem_Free(self->stages);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (view->itemsize != itemsize || view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: expected items of %zd bytes", name, itemsize);
        PyBuffer_Release(view);
        view->obj = NULL;
        return -1;
    }
    return 0;
}

static int read_doubles(PyObject *seq, double *out, Py_ssize_t n, const char *name) {
    PyObject *fast = PySequence_Fast(seq, name);
    if (fast == NULL) return -1;
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd values", name, n);
        Py_DECREF(fast);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        out[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
        if (out[i] == -1.0 && PyErr_Occurred()) { Py_DECREF(fast); return -1; }
    }
    Py_DECREF(fast);
    return 0;
}

/* Cascade(languages, stages, lexicon, py3, bucket_limits, floor_log_p, min_p, top_n)
 *   languages: tuple of str
 *   stages: sequence of (slots, weights[4][n_slots], bias[4][n_lang], margin[4])
 *   lexicon: None or (slot, table float32 2-d, keys int64, row_ids int32)
 *   py3: None or (slot, nextmove uint32, rowbase int64, output int64, nb_ptc float32,
 *        nb_pc float32, alignment sequence of int)
 */
static int Cascade_init(Cascade *self, PyObject *args, PyObject *kwds) {
    (void)kwds;
    PyObject *languages, *stages, *lexicon, *py3, *limits;
    double floor_log_p, min_p;
    int top_n;
    if (!PyArg_ParseTuple(args, "O!OOOOddi", &PyTuple_Type, &languages, &stages, &lexicon, &py3,
                          &limits, &floor_log_p, &min_p, &top_n))
        return -1;
    if (self->languages != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Cascade is initialized once");
        return -1;
    }
    Py_ssize_t n_lang = PyTuple_GET_SIZE(languages);
    if (n_lang < 1 || n_lang > MAX_LANG) {
        PyErr_SetString(PyExc_ValueError, "languages: 1 to 256 expected");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n_lang; i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(languages, i))) {
            PyErr_SetString(PyExc_TypeError, "languages must be str");
            return -1;
        }
    }
    self->n_lang = (int)n_lang;
    Py_INCREF(languages);
    self->languages = languages;
    self->floor_log_p = floor_log_p;
    self->min_p = min_p;
    self->top_n = top_n < 1 ? 1 : top_n;
    self->lexicon_slot = -1;
    self->py3_slot = -1;
    PyObject *unicodedata = PyImport_ImportModule("unicodedata");
    if (unicodedata == NULL) return -1;
    self->normalize = PyObject_GetAttrString(unicodedata, "normalize");
    Py_DECREF(unicodedata);
    if (self->normalize == NULL) return -1;

    double bounds[N_BUCKETS - 1];
    if (read_doubles(limits, bounds, N_BUCKETS - 1, "bucket_limits") < 0) return -1;
    for (int i = 0; i < N_BUCKETS - 1; i++) self->bucket_limits[i] = (int)bounds[i];

    if (lexicon != Py_None) {
        PyObject *table, *keys, *row_ids;
        if (!PyArg_ParseTuple(lexicon, "iOOO", &self->lexicon_slot, &table, &keys, &row_ids)) return -1;
        if (get_buffer(table, &self->table, 4, "lexicon table") < 0) return -1;
        if (get_buffer(keys, &self->keys, 8, "lexicon keys") < 0) return -1;
        if (get_buffer(row_ids, &self->row_ids, 4, "lexicon row ids") < 0) return -1;
        if (self->table.ndim != 2 || self->table.shape[1] != n_lang || self->keys.len / 8 != self->row_ids.len / 4) {
            PyErr_SetString(PyExc_ValueError, "lexicon arrays do not fit the languages");
            return -1;
        }
        Py_ssize_t n_rows = self->table.len / (4 * n_lang);
        Py_ssize_t n_keys = self->keys.len / 8;
        const int32_t *rows = (const int32_t *)self->row_ids.buf;
        const int64_t *key_values = (const int64_t *)self->keys.buf;
        for (Py_ssize_t i = 0; i < n_keys; i++) {
            if (rows[i] < 0 || rows[i] >= n_rows) {
                PyErr_SetString(PyExc_ValueError, "lexicon row id out of range");
                return -1;
            }
            if (key_values[i] < 0 || (uint64_t)key_values[i] >= (1ULL << 62)
                || (i > 0 && key_values[i] <= key_values[i - 1])) {
                PyErr_SetString(PyExc_ValueError, "lexicon keys must ascend, each below 2**62");
                return -1;
            }
        }
        /* The bucket table turns a binary search over the whole key array (a cache miss
         * per step) into one over the handful of keys that share the top bits. */
        size_t n_prefix = ((size_t)1 << PREFIX_BITS) + 1;
        self->prefix = PyMem_Malloc(n_prefix * sizeof(Py_ssize_t));
        if (self->prefix == NULL) { PyErr_NoMemory(); return -1; }
        Py_ssize_t position = 0;
        for (size_t bucket = 0; bucket < n_prefix; bucket++) {
            while (position < n_keys && ((uint64_t)key_values[position] >> PREFIX_SHIFT) < bucket) position++;
            self->prefix[bucket] = position;
        }
    }
    if (py3 != Py_None) {
        PyObject *nextmove, *rowbase, *output, *nb_ptc, *nb_pc, *align;
        if (!PyArg_ParseTuple(py3, "iOOOOOO", &self->py3_slot, &nextmove, &rowbase, &output, &nb_ptc,
                              &nb_pc, &align))
            return -1;
        if (get_buffer(nextmove, &self->nextmove, 4, "py3langid nextmove") < 0) return -1;
        if (get_buffer(rowbase, &self->rowbase, 8, "py3langid rowbase") < 0) return -1;
        if (get_buffer(output, &self->output, 8, "py3langid output") < 0) return -1;
        if (get_buffer(nb_ptc, &self->nb_ptc, 4, "py3langid nb_ptc") < 0) return -1;
        if (get_buffer(nb_pc, &self->nb_pc, 4, "py3langid nb_pc") < 0) return -1;
        self->n_py3 = (int)(self->nb_pc.len / 4);
        if (self->n_py3 < 1 || self->n_py3 > MAX_LANG || self->nb_ptc.ndim != 2 || self->nb_ptc.shape[1] != self->n_py3) {
            PyErr_SetString(PyExc_ValueError, "py3langid arrays do not fit");
            return -1;
        }
        Py_ssize_t n_features = self->nb_ptc.len / (4 * self->n_py3);
        Py_ssize_t n_states = self->output.len / 8;
        const int64_t *out = (const int64_t *)self->output.buf;
        const int64_t *base = (const int64_t *)self->rowbase.buf;
        const uint32_t *next = (const uint32_t *)self->nextmove.buf;
        if (self->rowbase.len / 8 != n_states) {
            PyErr_SetString(PyExc_ValueError, "py3langid automaton: one row base per state expected");
            return -1;
        }
        for (Py_ssize_t s = 0; s < n_states; s++) {
            if (out[s] >= n_features || base[s] < 0 || base[s] + 256 > self->nextmove.len / 4) {
                PyErr_SetString(PyExc_ValueError, "py3langid automaton out of range");
                return -1;
            }
        }
        for (Py_ssize_t i = 0; i < self->nextmove.len / 4; i++) {
            if (next[i] >= (uint64_t)n_states) {
                PyErr_SetString(PyExc_ValueError, "py3langid automaton: state out of range");
                return -1;
            }
        }
        self->py3_align = PyMem_Calloc((size_t)n_lang, sizeof(Py_ssize_t));
        if (self->py3_align == NULL) { PyErr_NoMemory(); return -1; }
        PyObject *fast = PySequence_Fast(align, "py3langid alignment");
        if (fast == NULL) return -1;
        if (PySequence_Fast_GET_SIZE(fast) != n_lang) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "py3langid alignment: one column per language expected");
            return -1;
        }
        for (Py_ssize_t i = 0; i < n_lang; i++) {
            Py_ssize_t column = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(fast, i));
            if (column == -1 && PyErr_Occurred()) { Py_DECREF(fast); return -1; }
            if (column >= self->n_py3) { Py_DECREF(fast); PyErr_SetString(PyExc_ValueError, "alignment out of range"); return -1; }
            self->py3_align[i] = column;
        }
        Py_DECREF(fast);
    }

    PyObject *stage_list = PySequence_Fast(stages, "stages");
    if (stage_list == NULL) return -1;
    Py_ssize_t n_stages = PySequence_Fast_GET_SIZE(stage_list);
    if (n_stages < 1) { Py_DECREF(stage_list); PyErr_SetString(PyExc_ValueError, "no stages"); return -1; }
    self->stages = PyMem_Calloc((size_t)n_stages, sizeof(Stage));
    if (self->stages == NULL) { Py_DECREF(stage_list); PyErr_NoMemory(); return -1; }
    self->n_stages = (int)n_stages;
    for (Py_ssize_t k = 0; k < n_stages; k++) {
        Stage *stage = &self->stages[k];
        PyObject *slots, *weights, *bias, *margin;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(stage_list, k), "OOOO", &slots, &weights, &bias, &margin))
            goto fail;
        double slot_values[MAX_SLOTS];
        Py_ssize_t n_slots = PySequence_Size(slots);
        if (n_slots < 1 || n_slots > MAX_SLOTS) { PyErr_SetString(PyExc_ValueError, "1 to 8 slots per stage"); goto fail; }
        if (read_doubles(slots, slot_values, n_slots, "stage slots") < 0) goto fail;
        stage->n_slots = (int)n_slots;
        for (int j = 0; j < n_slots; j++) {
            stage->slots[j] = (int)slot_values[j];
            if (stage->slots[j] < 0 || stage->slots[j] >= MAX_SLOTS) { PyErr_SetString(PyExc_ValueError, "slot out of range"); goto fail; }
        }
        if (PySequence_Size(weights) != N_BUCKETS || PySequence_Size(bias) != N_BUCKETS) {
            PyErr_SetString(PyExc_ValueError, "weights and bias: one row per bucket");
            goto fail;
        }
        stage->bias = PyMem_Calloc((size_t)(N_BUCKETS * n_lang), sizeof(double));
        if (stage->bias == NULL) { PyErr_NoMemory(); goto fail; }
        for (int b = 0; b < N_BUCKETS; b++) {
            PyObject *row = PySequence_GetItem(weights, b);
            if (row == NULL) goto fail;
            int bad = read_doubles(row, stage->weights[b], n_slots, "stage weights");
            Py_DECREF(row);
            if (bad < 0) goto fail;
            row = PySequence_GetItem(bias, b);
            if (row == NULL) goto fail;
            bad = read_doubles(row, stage->bias + b * n_lang, n_lang, "stage bias");
            Py_DECREF(row);
            if (bad < 0) goto fail;
        }
        if (read_doubles(margin, stage->margin, N_BUCKETS, "stage margin") < 0) goto fail;
    }
    Py_DECREF(stage_list);
    return 0;
fail:
    Py_DECREF(stage_list);
    return -1;
}

/* ------------------------------------------------------------------ sources */

static uint64_t word_key(const unsigned char *bytes, Py_ssize_t n) {
    /* The little-endian integer of the bytes, modulo P1 and P2 (Horner from the top byte). */
    uint64_t r1 = 0, r2 = 0;
    for (Py_ssize_t i = n - 1; i >= 0; i--) {
        r1 = (r1 * 256 + bytes[i]) % P1;
        r2 = (r2 * 256 + bytes[i]) % P2;
    }
    return r1 * P2 + r2;
}

static Py_ssize_t row_of_key(const Cascade *self, int64_t key) {
    const int64_t *keys = (const int64_t *)self->keys.buf;
    uint64_t bucket = (uint64_t)key >> PREFIX_SHIFT;
    Py_ssize_t lo = self->prefix[bucket], hi = self->prefix[bucket + 1];
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key) lo = mid + 1; else hi = mid;
    }
    if (lo < self->prefix[bucket + 1] && keys[lo] == key) return ((const int32_t *)self->row_ids.buf)[lo];
    return -1;
}

/* Lexicon evidence of the words into out (as double). Returns 1 with evidence, 0 without,
 * -1 on error. Up to three rows are summed in float32 (*is_f32 = 1), as numpy does for the
 * Python path's row views; more rows in float64. */
static int lexicon_vector(Cascade *self, PyObject *words, double *out, float *out_f, int *is_f32) {
    Py_ssize_t n_words = PyList_GET_SIZE(words);
    int n_lang = self->n_lang;
    const float *table = (const float *)self->table.buf;
    int known = 0;
    Py_ssize_t first_rows[3];
    for (Py_ssize_t i = 0; i < n_words; i++) {
        PyObject *word = PyList_GET_ITEM(words, i);
        if (!PyUnicode_Check(word)) { PyErr_SetString(PyExc_TypeError, "words must be str"); return -1; }
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(word, &size);
        if (utf8 == NULL) return -1;
        Py_ssize_t row = row_of_key(self, (int64_t)word_key((const unsigned char *)utf8, size));
        if (row < 0) continue;
        const float *values = table + row * n_lang;
        if (known < 3) {
            first_rows[known] = row;
        }
        if (known == 3) { /* switch to float64: add the first three rows again, in order */
            for (int l = 0; l < n_lang; l++) out[l] = 0.0;
            for (int r = 0; r < 3; r++) {
                const float *previous = table + first_rows[r] * n_lang;
                for (int l = 0; l < n_lang; l++) out[l] += (double)previous[l];
            }
        }
        if (known >= 3) {
            for (int l = 0; l < n_lang; l++) out[l] += (double)values[l];
        } else if (known == 0) {
            for (int l = 0; l < n_lang; l++) out_f[l] = values[l];
        } else {
            for (int l = 0; l < n_lang; l++) out_f[l] = out_f[l] + values[l];
        }
        known++;
    }
    if (known == 0) return 0;
    *is_f32 = known <= 3;
    if (*is_f32) for (int l = 0; l < n_lang; l++) out[l] = (double)out_f[l];
    return 1;
}

static int compare_feature(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int py3_scores(Cascade *self, const char *data, Py_ssize_t n, double *out);

/* The bytes py3langid reads (its _encode): lower-cased when all upper case, NFC, UTF-8
 * with surrogatepass. A new reference. */
static PyObject *py3_encode(Cascade *self, PyObject *text) {
    Py_INCREF(text);
    PyObject *upper = PyObject_CallMethod(text, "isupper", NULL);
    if (upper == NULL) { Py_DECREF(text); return NULL; }
    int is_upper = PyObject_IsTrue(upper);
    Py_DECREF(upper);
    if (is_upper) {
        PyObject *lower = PyObject_CallMethod(text, "lower", NULL);
        Py_DECREF(text);
        if (lower == NULL) return NULL;
        text = lower;
    }
    if (!PyUnicode_IS_ASCII(text)) { /* ASCII text is already NFC */
        PyObject *normal = PyObject_CallFunction(self->normalize, "sO", "NFC", text);
        Py_DECREF(text);
        if (normal == NULL) return NULL;
        text = normal;
    }
    PyObject *encoded = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    Py_DECREF(text);
    return encoded;
}

/* py3langid's log-probabilities of the text, aligned to the ensemble's languages
 * (Py3langidIdentifier.score_vector, then TextLanguageEnsemble._aligned). 1 / 0 / -1. */
static int py3_vector(Cascade *self, PyObject *text, double *out) {
    if (PyUnicode_GET_LENGTH(text) == 0) return 0;
    PyObject *encoded = py3_encode(self, text);
    if (encoded == NULL) return -1;
    int got = py3_scores(self, PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded), out);
    Py_DECREF(encoded);
    return got;
}

static int py3_scores(Cascade *self, const char *data, Py_ssize_t n, double *out) {
    const uint32_t *next = (const uint32_t *)self->nextmove.buf;
    const int64_t *base = (const int64_t *)self->rowbase.buf;
    const int64_t *output = (const int64_t *)self->output.buf;
    Py_ssize_t n_hits = 0;
    uint32_t state = 0;
    /* Collect the feature of every hit, sort, count runs: the same counts as a Counter. */
    int32_t stack_hits[STACK_HITS];
    int32_t *hits = stack_hits;
    int32_t *heap_hits = NULL;
    if (n > STACK_HITS) { /* at most one hit per byte */
        heap_hits = PyMem_Malloc((size_t)n * sizeof(int32_t));
        if (heap_hits == NULL) { PyErr_NoMemory(); return -1; }
        hits = heap_hits;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        state = next[base[state] + (unsigned char)data[i]];
        int64_t f = output[state];
        if (f >= 0) hits[n_hits++] = (int32_t)f;
    }
    if (n_hits == 0) { PyMem_Free(heap_hits); return 0; }
    qsort(hits, (size_t)n_hits, sizeof(int32_t), compare_feature);
    int n_py3 = self->n_py3;
    float raw[MAX_LANG];
    const float *nb_ptc = (const float *)self->nb_ptc.buf;
    const float *nb_pc = (const float *)self->nb_pc.buf;
    for (int l = 0; l < n_py3; l++) raw[l] = 0.0f;
    Py_ssize_t i = 0;
    while (i < n_hits) {
        Py_ssize_t j = i;
        while (j < n_hits && hits[j] == hits[i]) j++;
        float weight = log1pf((float)(j - i));
        const float *row = nb_ptc + (Py_ssize_t)hits[i] * n_py3;
        for (int l = 0; l < n_py3; l++) raw[l] += weight * row[l];
        i = j;
    }
    PyMem_Free(heap_hits);
    int any = 0;
    for (int l = 0; l < n_py3; l++) {
        raw[l] += nb_pc[l];
        if (raw[l] != 0.0f) any = 1;
    }
    if (!any) return 0;
    /* scores = raw / sqrt(bytes); minus max; minus log-sum-exp (float64) */
    double work[MAX_LANG];
    double scale = sqrt((double)(n > 0 ? n : 1));
    double top = -INFINITY;
    for (int l = 0; l < n_py3; l++) {
        work[l] = (double)raw[l] / scale;
        if (work[l] > top) top = work[l];
    }
    double total = 0.0;
    for (int l = 0; l < n_py3; l++) {
        work[l] -= top;
        total += exp(work[l]);
    }
    double log_total = log(total);
    /* aligned: floor for a language py3langid lacks, then minus the max, floored at 2x */
    double best = -INFINITY;
    for (int l = 0; l < self->n_lang; l++) {
        Py_ssize_t column = self->py3_align[l];
        out[l] = column < 0 ? self->floor_log_p : work[column] - log_total;
        if (out[l] > best) best = out[l];
    }
    for (int l = 0; l < self->n_lang; l++) {
        out[l] -= best;
        if (out[l] < 2.0 * self->floor_log_p) out[l] = 2.0 * self->floor_log_p;
    }
    return 1;
}

/* A vector the caller computed: extras[slot] is () for "no evidence" or a buffer of
 * n_lang float64. */
static int extra_vector(Cascade *self, PyObject *value, double *out) {
    if (PyTuple_Check(value) && PyTuple_GET_SIZE(value) == 0) return 0;
    Py_buffer view;
    if (get_buffer(value, &view, 8, "extra source vector") < 0) return -1;
    if (view.len != 8 * (Py_ssize_t)self->n_lang) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "extra source vector: one float64 per language expected");
        return -1;
    }
    memcpy(out, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return 1;
}

static void softmax(const double *scores, double *out, int n) {
    double top = scores[0];
    for (int i = 1; i < n; i++) if (scores[i] > top) top = scores[i];
    double total = 0.0;
    for (int i = 0; i < n; i++) { out[i] = exp(scores[i] - top); total += out[i]; }
    for (int i = 0; i < n; i++) out[i] /= total;
}

/* run(text, words, extras, bias) -> (stage, pairs) | int
 *   text: the text (already cut to the ensemble's MAX_CHARS); py3langid reads its bytes
 *   words: list of canonical word forms (word_tokens)
 *   extras: list, one item per slot that only the caller computes: None = not computed
 *           yet, () = no evidence, else a float64 buffer of the aligned log-probabilities
 *   bias: None or a float64 buffer of n_lang scores added at the end (script)
 * Returns the slot number when a source is needed, else (deciding stage or -1, pairs):
 * pairs is the ranked ((language, probability), ...) of the distribution. */
static PyObject *Cascade_run(Cascade *self, PyObject *args) {
    PyObject *text, *words, *extras, *bias_obj;
    if (!PyArg_ParseTuple(args, "UO!O!O", &text, &PyList_Type, &words, &PyList_Type, &extras, &bias_obj))
        return NULL;
    if (self->languages == NULL) { PyErr_SetString(PyExc_RuntimeError, "Cascade not initialized"); return NULL; }
    int n_lang = self->n_lang;
    Py_ssize_t n_tokens = PyList_GET_SIZE(words);
    int bucket = N_BUCKETS - 1;
    for (int b = 0; b < N_BUCKETS - 1; b++) {
        if (n_tokens <= self->bucket_limits[b]) { bucket = b; break; }
    }
    double vectors[MAX_SLOTS * MAX_LANG];
    double total[MAX_LANG];
    double probabilities[MAX_LANG];
    float lex_f[MAX_LANG];
    float weighted_f[MAX_LANG];
    signed char state[MAX_SLOTS];   /* 0 not computed, 1 evidence, -1 none */
    int is_f32[MAX_SLOTS];
    memset(state, 0, sizeof(state));
    memset(is_f32, 0, sizeof(is_f32));
    int last = self->n_stages - 1;
    int have_scores = 0, have_probabilities = 0, decided = last; /* the last stage decides by default */
    for (int k = 0; k < self->n_stages; k++) {
        Stage *stage = &self->stages[k];
        int found = 0;
        const double *bias = stage->bias + bucket * n_lang;
        for (int l = 0; l < n_lang; l++) total[l] = bias[l];
        for (int j = 0; j < stage->n_slots; j++) {
            int slot = stage->slots[j];
            double *vector = vectors + slot * n_lang;
            if (state[slot] == 0) {
                int got;
                if (slot == self->lexicon_slot) {
                    got = lexicon_vector(self, words, vector, lex_f, &is_f32[slot]);
                } else if (slot == self->py3_slot) {
                    got = py3_vector(self, text, vector);
                } else {
                    if (slot >= PyList_GET_SIZE(extras)) { PyErr_SetString(PyExc_ValueError, "extras: one item per slot"); return NULL; }
                    PyObject *extra = PyList_GET_ITEM(extras, slot);
                    if (extra == Py_None) return PyLong_FromLong(slot);
                    got = extra_vector(self, extra, vector);
                }
                if (got < 0) return NULL;
                state[slot] = got ? 1 : -1;
            }
            if (state[slot] < 0) continue;
            double weight = stage->weights[bucket][j];
            if (is_f32[slot]) { /* numpy: python float * float32 array stays float32 */
                float w = (float)weight;
                const float *source = lex_f;
                for (int l = 0; l < n_lang; l++) weighted_f[l] = w * source[l];
                for (int l = 0; l < n_lang; l++) total[l] = total[l] + (double)weighted_f[l];
            } else {
                for (int l = 0; l < n_lang; l++) total[l] = total[l] + weight * vector[l];
            }
            found = 1;
        }
        if (!found) continue;
        have_scores = 1;
        have_probabilities = 0;
        double margin = stage->margin[bucket];
        if (k == last || margin <= 0.0) { decided = k; break; }
        if (margin <= 1.0 && n_lang > 1) {
            softmax(total, probabilities, n_lang);
            have_probabilities = 1;
            double first = -INFINITY, second = -INFINITY;
            for (int l = 0; l < n_lang; l++) {
                double p = probabilities[l];
                if (p > first) { second = first; first = p; }
                else if (p > second) second = p;
            }
            if (first - second >= margin) { decided = k; break; }
        }
    }
    int stage_decided = have_scores ? decided : -1;
    if (bias_obj != Py_None) {
        Py_buffer view;
        if (get_buffer(bias_obj, &view, 8, "bias") < 0) return NULL;
        if (view.len != 8 * (Py_ssize_t)n_lang) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "bias: one float64 per language expected");
            return NULL;
        }
        const double *extra = (const double *)view.buf;
        for (int l = 0; l < n_lang; l++) total[l] = have_scores ? total[l] + extra[l] : extra[l];
        PyBuffer_Release(&view);
        have_probabilities = 0;
        have_scores = 1;
    }
    if (!have_scores) return Py_BuildValue("(i())", -1);
    if (!have_probabilities) softmax(total, probabilities, n_lang);
    /* ranked: highest first, ties by position; top_n at most; below min_p left out (not the first) */
    int top_n = self->top_n < n_lang ? self->top_n : n_lang;
    int order[64];
    unsigned char taken[MAX_LANG];
    int n_order = 0;
    if (top_n > 64) top_n = 64;
    memset(taken, 0, (size_t)n_lang);
    for (int r = 0; r < top_n; r++) {
        int best = -1;
        for (int l = 0; l < n_lang; l++) {
            if (!taken[l] && (best < 0 || probabilities[l] > probabilities[best])) best = l;
        }
        if (best < 0 || (r > 0 && probabilities[best] < self->min_p)) break;
        taken[best] = 1;
        order[n_order++] = best;
    }
    PyObject *pairs = PyTuple_New(n_order);
    if (pairs == NULL) return NULL;
    for (int r = 0; r < n_order; r++) {
        PyObject *pair = PyTuple_New(2);
        PyObject *p = PyFloat_FromDouble(probabilities[order[r]]);
        if (pair == NULL || p == NULL) { Py_XDECREF(pair); Py_XDECREF(p); Py_DECREF(pairs); return NULL; }
        PyObject *code = PyTuple_GET_ITEM(self->languages, order[r]);
        Py_INCREF(code);
        PyTuple_SET_ITEM(pair, 0, code);
        PyTuple_SET_ITEM(pair, 1, p);
        PyTuple_SET_ITEM(pairs, r, pair);
    }
    return Py_BuildValue("(iN)", stage_decided, pairs);
}

static PyMethodDef Cascade_methods[] = {
    {"run", (PyCFunction)Cascade_run, METH_VARARGS,
     "run(text, words, extras, bias) -> (stage, pairs) or the slot number of a source to compute."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CascadeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "langassist.langid._cascade.Cascade",
    .tp_basicsize = sizeof(Cascade),
    .tp_dealloc = (destructor)Cascade_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Compiled per-call path of the text language ID cascade.",
    .tp_methods = Cascade_methods,
    .tp_init = (initproc)Cascade_init,
    .tp_new = PyType_GenericNew,
};

static PyObject *module_word_key(PyObject *module, PyObject *arg) {
    (void)module;
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(arg, &size);
    if (utf8 == NULL) return NULL;
    return PyLong_FromUnsignedLongLong(word_key((const unsigned char *)utf8, size));
}

static PyMethodDef module_methods[] = {
    {"word_key", module_word_key, METH_O, "word_key(word) -> int, as langassist.langid.lexicon.word_key."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cascade_module = {
    PyModuleDef_HEAD_INIT, "_cascade", "Compiled per-call path of the text language ID cascade.", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__cascade(void) {
    if (PyType_Ready(&CascadeType) < 0) return NULL;
    PyObject *module = PyModule_Create(&cascade_module);
    if (module == NULL) return NULL;
    Py_INCREF(&CascadeType);
    if (PyModule_AddObject(module, "Cascade", (PyObject *)&CascadeType) < 0) {
        Py_DECREF(&CascadeType);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "ABI_VERSION", ABI_VERSION) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
