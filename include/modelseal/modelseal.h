/* modelseal: the whole public API. */
#ifndef MODELSEAL_H
#define MODELSEAL_H

#include "modelseal/error.h"
#include "modelseal/safetensors.h"
#include "modelseal/model.h"
#include "modelseal/keys.h"
#include "modelseal/dsse.h"
#include "modelseal/trust.h"
#include "modelseal/bundle.h"
#include "modelseal/compress.h"
#include "modelseal/files.h"
#include "modelseal/oms.h"
#include "modelseal/progress.h"
#include "modelseal/export.h"
#include "modelseal/policy.h"

#endif
