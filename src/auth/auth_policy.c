/* auth_policy: placeholder until its module lands (issue 11). */
#include "auth/auth_policy.h"
