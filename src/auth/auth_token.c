/* auth_token: placeholder until its module lands (issue 11). */
#include "auth/auth_token.h"
