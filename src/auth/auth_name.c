/* auth_name: placeholder until its module lands (issue 11). */
#include "auth/auth_name.h"
