#ifndef TELEINGEST_CMOSQUITTO_SHIM_H
#define TELEINGEST_CMOSQUITTO_SHIM_H

#include <mosquitto.h>

#endif
