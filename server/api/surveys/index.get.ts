import { useDb } from '../../database'
import { listOpenSurveys, publicSurveyEntry } from '../../services/surveys'

export default defineEventHandler(() => {
  return listOpenSurveys(useDb()).map(publicSurveyEntry)
})
