/* store - what every user of store.h shares beyond the interface itself: the one definition
 * of a valid client key. */
#include "store/store.h"

bool store_cid_valid(const char *cid)
{
    if (!cid)
        return true;
    size_t n = 0;
    for (; cid[n]; n++) {
        char c = cid[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok || n == STORE_CID_MAX)
            return false;
    }
    return true;
}
