/* slice.c - Python slice normalisation (see slice.h). */
#include "slice.h"

/* slice_clamp() - one bound: negative from the end, then clamped to the
 * sequence (one before it for a negative step). */
static int64_t slice_clamp(int64_t v, int64_t len, int64_t step)
{
    if (v < 0) {
        v += len;
        if (v < 0)
            v = step < 0 ? -1 : 0;
    } else if (v >= len) {
        v = step < 0 ? len - 1 : len;
    }
    return v;
}

int slice_adjust(const struct arg *a, size_t length, struct slice *s)
{
    int64_t len = (int64_t)length;
    s->step = a[2].nil ? 1 : a[2].i;
    if (s->step == 0)
        return SM_EVALUE;
    if (s->step < -INT64_MAX) /* so that -step cannot overflow */
        s->step = -INT64_MAX;
    s->start = a[0].nil ? (s->step < 0 ? INT64_MAX : 0) : a[0].i;
    s->stop = a[1].nil ? (s->step < 0 ? INT64_MIN : INT64_MAX) : a[1].i;
    s->start = slice_clamp(s->start, len, s->step);
    s->stop = slice_clamp(s->stop, len, s->step);
    s->len = 0;
    if (s->step < 0 && s->stop < s->start)
        s->len = (size_t)((s->start - s->stop - 1) / -s->step + 1);
    else if (s->step > 0 && s->start < s->stop)
        s->len = (size_t)((s->stop - s->start - 1) / s->step + 1);
    return SM_OK;
}
