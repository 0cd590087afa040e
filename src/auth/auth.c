/* auth: placeholder until its module lands (issue 11). */
#include "auth/auth.h"
