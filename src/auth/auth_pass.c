/* auth_pass: placeholder until its module lands (issue 11). */
#include "auth/auth_pass.h"
