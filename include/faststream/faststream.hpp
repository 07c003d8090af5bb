#pragma once
// faststream-cpp: typed message handlers for RabbitMQ, Kafka, NATS and Redis (FastStream for
// C++20). This umbrella header brings the core, models and the embedded memory broker.
#include "faststream/app.hpp"
#include "faststream/broker.hpp"
#include "faststream/codec.hpp"
#include "faststream/context.hpp"
#include "faststream/core.hpp"
#include "faststream/exceptions.hpp"
#include "faststream/handler.hpp"
#include "faststream/logger.hpp"
#include "faststream/memory.hpp"
#include "faststream/message.hpp"
#include "faststream/middleware.hpp"
#include "faststream/model.hpp"
#include "faststream/task.hpp"
#include "faststream/version.hpp"
