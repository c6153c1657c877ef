/* rasbench._textparse: the common case of rasbench.datasets.textio's numeric text, parsed in C.
 *
 * parse_rows(data, columns) -> bytearray of float64, or None
 *
 * Reads the rows of `columns` numbers in `data` (trailing whitespace ignored, as
 * bytes.rstrip() strips it; one row per '\n'-separated line, the numbers separated by runs
 * of ',', ';', '\t' and ' ') and returns them as one bytearray of native float64, row after
 * row. It refuses the text (returns None) when it is empty or at the first thing outside
 * that simple form: a line without `columns`
 * numbers (a blank line included), a token that is not a number to float(), a token with
 * any byte but ASCII letters, digits, '.', '+' and '-' (so '\r', the other line breaks and
 * whitespace of str.splitlines / str.split, '_', non-ASCII), a token of MAX_TOKEN bytes or
 * more that the fast path does not take, or more values than the text could hold (at least
 * two bytes each but the last: a bound on what is allocated before parsing). The caller
 * then parses the text with its line parser, which names what is wrong: this module
 * decides nothing, it is only faster.
 *
 * Every value is the double Python's float() gives for the same characters. Decimals
 * ([+-]digits[.digits]) with at most 19 significant digits that fit 2**53 and at most 22
 * digits after the point are an exact integer divided by an exact power of ten: one IEEE
 * division, correctly rounded (Clinger's fast path), as float() rounds. Every other token
 * (more digits, exponents, nan, inf) goes to PyOS_string_to_double, the function float()
 * itself calls once it has stripped whitespace and underscores (which these tokens lack).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Bumped whenever the meaning of parse_rows changes; the Python side uses the module
   only when it finds the version it was written for (a stale build is ignored). */
#define TEXTPARSE_VERSION 2
#define MAX_TOKEN 64
/* The fast path needs divisions in double precision, not in x87's extended precision
   (double rounding); where the compiler says otherwise, every number takes the slow path. */
#if defined(__FLT_EVAL_METHOD__) && __FLT_EVAL_METHOD__ != 0
#define MAX_FAST_MANTISSA UINT64_C(0)
#else
#define MAX_FAST_MANTISSA (UINT64_C(1) << 53)
#endif

static const double POWERS_OF_TEN[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_separator(unsigned char c) { return c == ',' || c == ' ' || c == '\t' || c == ';'; }

/* A token for Python's conversion: short, and made only of bytes no whitespace is made of. */
static int maybe_number(const char *start, const char *end, int *needs_slow) {
    if (end - start >= MAX_TOKEN)
        return -1;
    for (const char *p = start; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        int plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                    c == '+' || c == '-';
        if (!plain)
            return -1;
    }
    *needs_slow = 1;
    return 0;
}

/* One token in [start, end): 0 and *value set; 0 and *needs_slow set for a token that is
   no plain decimal within the fast path's limits but may still be a number (only ASCII
   letters, digits, '.', '+', '-', shorter than MAX_TOKEN); -1 for anything else. */
static int parse_number(const char *start, const char *end, double *value, int *needs_slow) {
    const char *p = start;
    int negative = 0;
    if (*p == '+' || *p == '-') {
        negative = (*p == '-');
        p++;
    }
    uint64_t mantissa = 0;
    int significant = 0, after_point = 0, digits = 0, point = 0, overflow = 0;
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= '0' && c <= '9') {
            digits++;
            if (mantissa == 0 && c == '0') {  /* a leading zero: scales, adds no digit */
                after_point += point;
                continue;
            }
            if (significant < 19) {
                mantissa = mantissa * 10 + (uint64_t)(c - '0');
                significant++;
                after_point += point;
            } else {
                overflow = 1;
            }
        } else if (c == '.' && !point) {
            point = 1;
        } else {
            return maybe_number(start, end, needs_slow);
        }
    }
    if (digits == 0)
        return maybe_number(start, end, needs_slow);
    if (overflow || mantissa > MAX_FAST_MANTISSA || after_point > 22)
        return maybe_number(start, end, needs_slow);
    double v = (double)mantissa;
    if (after_point)
        v /= POWERS_OF_TEN[after_point];
    *value = negative ? -v : v;
    return 0;
}

/* Python's own conversion of one token (the GIL is held). 0 or -1 (refused). */
static int parse_slow(const char *start, const char *end, double *value) {
    char copy[MAX_TOKEN];
    size_t length = (size_t)(end - start);
    memcpy(copy, start, length);
    copy[length] = '\0';
    double v = PyOS_string_to_double(copy, NULL, NULL);
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    *value = v;
    return 0;
}

/* The rows of data[0:size] into out[0:capacity]; -1 when refused. */
static Py_ssize_t parse(const char *data, Py_ssize_t size, Py_ssize_t columns, double *out, Py_ssize_t capacity) {
    const char *p = data, *end = data + size;
    Py_ssize_t written = 0, rows = 0;
    while (p < end) {
        Py_ssize_t in_line = 0;
        while (p < end && *p != '\n') {
            unsigned char c = (unsigned char)*p;
            if (is_separator(c)) {
                p++;
                continue;
            }
            const char *token = p;
            while (p < end && *p != '\n' && !is_separator((unsigned char)*p))
                p++;
            if (in_line == columns || written == capacity)
                return -1;
            int needs_slow = 0;
            double value = 0.0;
            if (parse_number(token, p, &value, &needs_slow) < 0)
                return -1;
            if (needs_slow && parse_slow(token, p, &value) < 0)
                return -1;
            out[written++] = value;
            in_line++;
        }
        if (in_line != columns)
            return -1;
        rows++;
        if (p < end)
            p++; /* the '\n' */
    }
    /* a final '\n' ends the last row; it does not start an empty one */
    return rows;
}

static int is_trailing_space(unsigned char c) {  /* what bytes.rstrip() strips */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\x0b' || c == '\x0c';
}

static PyObject *parse_rows(PyObject *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t columns;
    if (!PyArg_ParseTuple(args, "y*n", &data, &columns))
        return NULL;
    if (columns < 1) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "columns must be >= 1");
        return NULL;
    }
    const char *text = (const char *)data.buf;
    Py_ssize_t size = data.len;
    while (size > 0 && is_trailing_space((unsigned char)text[size - 1]))
        size--;
    Py_ssize_t rows = 1;
    for (const char *p = text, *end = text + size; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        rows++;
    PyObject *out = NULL;
    /* each value takes a byte and a separator (the last no separator): no more than
       (size + 1) / 2 values fit, so nothing larger than the text's eight-fold is allocated */
    if (size > 0 && rows <= (size + 1) / 2 / columns) {
        Py_ssize_t values = rows * columns;
        out = PyByteArray_FromStringAndSize(NULL, values * (Py_ssize_t)sizeof(double));
        if (out != NULL && parse(text, size, columns, (double *)PyByteArray_AS_STRING(out), values) != rows)
            Py_CLEAR(out);  /* refused */
    }
    PyBuffer_Release(&data);
    if (out == NULL && !PyErr_Occurred())
        Py_RETURN_NONE;
    return out;
}

static PyMethodDef methods[] = {
    {"parse_rows", parse_rows, METH_VARARGS,
     "parse_rows(data, columns) -> bytearray of float64 rows, or None when the text is not plain rows of numbers"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_textparse",
                                    "rasbench's C parser for plain numeric text (see textio.py)", -1, methods};

PyMODINIT_FUNC PyInit__textparse(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", TEXTPARSE_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
