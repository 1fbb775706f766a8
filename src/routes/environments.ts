import {
  CloudEnvironment,
  EnvironmentRequest,
  ListEnvironmentsQuery,
  ListEnvironmentsResponse,
} from "@ambit/protocol";
import {
  createEnvironment,
  deleteEnvironment,
  getEnvironment,
  listEnvironments,
  updateEnvironment,
} from "../services/config/environments.ts";
import { collectionRoutes } from "./collection.ts";

export const environmentRoutes = collectionRoutes({
  path: "/agent/environments",
  tag: "Environments",
  listKey: "environments",
  list: ListEnvironmentsResponse,
  query: ListEnvironmentsQuery,
  item: CloudEnvironment,
  create: EnvironmentRequest,
  update: EnvironmentRequest,
  summaries: {
    list: "List environments (Oz shape, with the last run of each)",
    create: "Create an environment (member)",
    get: "Get an environment",
    update: "Replace an environment (member); past runs keep their copy",
    remove: "Delete an environment (member)",
  },
  verbs: {
    list: listEnvironments,
    create: createEnvironment,
    get: getEnvironment,
    update: updateEnvironment,
    remove: deleteEnvironment,
  },
});
