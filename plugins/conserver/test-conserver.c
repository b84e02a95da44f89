/* Unit tests of the conserver plugin against the host-API mock: test-console.h, as conserver. */
#define CONSOLE "conserver"
#define OTHER "goconserver"
#define GENERATOR "makeconservercf"
/* xCAT reads an unset consoleservice as conserver: nothing to say */
#define UNSET_WARNING NULL
#define UNSET_WARNINGS 0

#include "test-console.h"
